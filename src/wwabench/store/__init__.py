"""The results store: runs, their episodes, check results and full transcripts.

SQLite in the data directory by default, any SQLAlchemy URL (PostgreSQL) otherwise.
The schema is owned by the Alembic migrations in `wwabench/store/migrations`; opening a
store upgrades it, so an old database is carried forward rather than refused.

One concept per module: `schema` (the ORM classes), `engine` (connecting, migrating),
`base` (the engine and sessions every part shares), `runs` (making, recording, finishing
and reading runs), `records` (what reads hand back: plain records, never ORM rows),
`queue` (the service's worker leases and quotas), `keys` (the service's API keys),
`providers` (the caps and cool-downs that the service's workers share per provider) and
`owners` (whose a model is, its name, the operator's verification). `Store` is those
parts over one engine; importers use this package.
"""

from wwabench.store.base import StoreError
from wwabench.store.engine import connect, migrate
from wwabench.store.keys import KeyStore, hash_key
from wwabench.store.owners import NameTaken, NotOwner, OwnerStore, is_bundled
from wwabench.store.providers import ProviderState, ProviderStore, Slot
from wwabench.store.queue import Lease, QueueStore
from wwabench.store.records import (
    OPERATOR,
    ApiKey,
    ModelInfo,
    StoredEpisode,
    StoredRun,
    Submitter,
    account_name,
)
from wwabench.store.runs import QuotaExceeded, RunMeta, RunStore
from wwabench.store.schema import (
    ApiKeyRow,
    Base,
    CheckRow,
    EpisodeRow,
    ModelRow,
    ProviderLimitRow,
    ProviderSlotRow,
    RunRow,
    TranscriptRow,
)


class Store(RunStore, QueueStore, KeyStore, ProviderStore, OwnerStore):
    """The results store on one engine: `Store(url)` (default: the data directory's)."""


__all__ = [
    "OPERATOR",
    "ApiKey",
    "ApiKeyRow",
    "Base",
    "CheckRow",
    "EpisodeRow",
    "Lease",
    "ModelInfo",
    "ModelRow",
    "NameTaken",
    "NotOwner",
    "ProviderLimitRow",
    "ProviderSlotRow",
    "ProviderState",
    "QueueStore",
    "QuotaExceeded",
    "RunMeta",
    "RunRow",
    "Slot",
    "Store",
    "StoreError",
    "StoredEpisode",
    "StoredRun",
    "Submitter",
    "TranscriptRow",
    "account_name",
    "connect",
    "hash_key",
    "is_bundled",
    "migrate",
]
