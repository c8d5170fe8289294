"""Provider API keys at rest: the service's Fernet key and encryption under it.

Provider API keys submitted with a run are stored encrypted (Fernet: AES-128-CBC with an
HMAC), under a key that lives outside the database.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

from wwabench.config import SECRET_ENV, secret_key_path


def load_secret(path: Path | None = None) -> bytes:
    """The Fernet key: $WWABENCH_SECRET if set, else the key file (made 0600 if missing).

    Raises ValueError when the configured key is not a Fernet key (without echoing it).
    """
    configured = os.environ.get(SECRET_ENV)
    if configured:
        return _valid(configured.strip().encode(), f"${SECRET_ENV}")
    path = path or secret_key_path()
    if not path.exists():
        _create_key_file(path)
    return _valid(path.read_bytes().strip(), str(path))


def _valid(key: bytes, where: str) -> bytes:
    try:
        Fernet(key)
    except ValueError:
        raise ValueError(f"{where} does not hold a Fernet key (32 url-safe base64 bytes)") from None
    return key


def _create_key_file(path: Path) -> None:
    """Write a new key so that no reader ever sees a partial file or a wider mode.

    The key goes to a private temporary file that is then hard-linked into place: the
    link fails if another process made the file first, and then its key is the one used
    (two services starting at once must not encrypt under different keys).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key() + b"\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-", suffix=".tmp")  # 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:
            _create_exclusive(path, key)  # a filesystem without hard links
    finally:
        os.unlink(tmp)


def _create_exclusive(path: Path, key: bytes) -> None:
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)


def encrypt(secret: bytes, plaintext: str) -> str:
    return Fernet(secret).encrypt(plaintext.encode()).decode("ascii")


def decrypt(secret: bytes, token: str) -> str:
    """The plaintext; raises cryptography.fernet.InvalidToken for a wrong key or a
    tampered token."""
    return Fernet(secret).decrypt(token.encode("ascii", errors="replace")).decode()
