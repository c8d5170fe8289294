"""API keys of the service: made, checked, revoked and listed; only their hashes are kept."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from wwabench.store.base import StoreBase
from wwabench.store.records import ApiKey, api_key
from wwabench.store.schema import ApiKeyRow, _now


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


class KeyStore(StoreBase):
    """The store's part that keeps the service's API keys."""

    def create_key(self, name: str, max_queued: int) -> tuple[int, str]:
        """A new key, returned once in the clear; only its SHA-256 is stored."""
        plain = "wwa_" + secrets.token_hex(16)
        with self.session() as s, s.begin():
            row = ApiKeyRow(name=name, key_hash=hash_key(plain), max_queued=max_queued)
            s.add(row)
            s.flush()
            return row.id, plain

    def check_key(self, plain: str) -> ApiKey | None:
        """The key whose hash `plain` has, unless it was revoked."""
        with self.session() as s:
            row = s.scalar(
                select(ApiKeyRow).where(
                    ApiKeyRow.key_hash == hash_key(plain), ApiKeyRow.revoked.is_(None)
                )
            )
            return None if row is None else api_key(row)

    def revoke_key(self, key_id: int) -> bool:
        with self.session() as s, s.begin():
            row = s.get(ApiKeyRow, key_id)
            if row is None or row.revoked is not None:
                return False
            row.revoked = _now()
            return True

    def api_keys(self) -> list[ApiKey]:
        with self.session() as s:
            return [api_key(k) for k in s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]
