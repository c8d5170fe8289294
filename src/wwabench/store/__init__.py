"""The results store (see `runs` for now); importers keep `from wwabench.store import ...`."""

from wwabench.store.runs import (
    ApiKeyRow,
    Base,
    CheckRow,
    EpisodeRow,
    Lease,
    ModelRow,
    RunMeta,
    RunRow,
    Store,
    StoreError,
    TranscriptRow,
    connect,
    finished,
    hash_key,
    migrate,
)

__all__ = [
    "ApiKeyRow",
    "Base",
    "CheckRow",
    "EpisodeRow",
    "Lease",
    "ModelRow",
    "RunMeta",
    "RunRow",
    "Store",
    "StoreError",
    "TranscriptRow",
    "connect",
    "finished",
    "hash_key",
    "migrate",
]
