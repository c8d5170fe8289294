"""The store's database: the engine for a URL, and the Alembic migrations that bring its
schema up to date when a store is opened.

SQLite in the data directory by default, any SQLAlchemy URL (PostgreSQL) otherwise.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from wwabench.config import store_url

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(conn: Any, _record: Any) -> None:
        cur = conn.cursor()
        # WAL lets readers (the website) work while a runner writes; the busy timeout
        # makes concurrent workers wait for the lock instead of failing.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


_MIGRATING = threading.Lock()


def migrate(engine: Engine, revision: str = "head") -> None:
    # Alembic keeps its context in module globals: two threads opening stores at once
    # would trip over each other.
    with _MIGRATING:
        _migrate(engine, revision)


def _migrate(engine: Engine, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # Batch migrations rebuild a table (copy, drop, rename); with foreign keys
            # enforced the drop would fail for every table that others refer to. The
            # pragma only takes effect outside a transaction.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def connect(url: str | None = None, *, upgrade: bool = True) -> Engine:
    url = url or store_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    if upgrade:
        migrate(engine)
    return engine
