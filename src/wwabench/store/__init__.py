"""The results store: runs, their episodes, check results and full transcripts.

SQLite in the data directory by default, any SQLAlchemy URL (PostgreSQL) otherwise.
The schema is owned by the Alembic migrations in `wwabench/store/migrations`; opening a
store upgrades it, so an old database is carried forward rather than refused.

One concept per module: `schema` (the ORM classes), `engine` (connecting, migrating),
`base` (the engine and sessions every part shares), `runs` (making, recording, finishing
and reading runs), `queue` (the service's worker leases and quotas) and `keys` (the
service's API keys). `Store` is those parts over one engine; importers use this package.
"""

from wwabench.store.base import StoreError
from wwabench.store.engine import connect, migrate
from wwabench.store.keys import KeyStore, hash_key
from wwabench.store.queue import Lease, QueueStore
from wwabench.store.runs import QuotaExceeded, RunMeta, RunStore, finished
from wwabench.store.schema import (
    ApiKeyRow,
    Base,
    CheckRow,
    EpisodeRow,
    ModelRow,
    RunRow,
    TranscriptRow,
)


class Store(RunStore, QueueStore, KeyStore):
    """The results store on one engine: `Store(url)` (default: the data directory's)."""


__all__ = [
    "ApiKeyRow",
    "Base",
    "CheckRow",
    "EpisodeRow",
    "Lease",
    "ModelRow",
    "QuotaExceeded",
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
