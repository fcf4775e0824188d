"""Canvas tokens at rest: MultiFernet with a key ring from a 0600 key file, never from the database.

Each ciphertext is bound to its user row: the plaintext is "<user_id>\\0<token>", and decryption
checks the id, so a ciphertext copied into another user's row does not open for them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from canvas.config import Settings
from canvas.errors import ConfigError, TokenUnreadable


def key_path(settings: Settings) -> Path:
    return settings.key_file or (settings.data_dir / "keys" / "token.keys")


def load_keyring(path: Path, *, create: bool = True) -> list[bytes]:
    """Keys, primary first. Creates the file (mode 0600) with one new key if it doesn't exist."""
    if not path.exists():
        if not create:
            raise ConfigError(f"CANVAS_KEY_FILE: {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key() + b"\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"CANVAS_KEY_FILE: {path} must not be readable by others (chmod 600)")
    keys = [line.strip() for line in path.read_bytes().splitlines() if line.strip()]
    if not keys:
        raise ConfigError(f"CANVAS_KEY_FILE: {path} holds no keys")
    return keys


def add_primary_key(path: Path) -> None:
    """Put a new key first in the ring (old keys stay, so old ciphertexts still open)."""
    keys = load_keyring(path)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(b"\n".join([Fernet.generate_key(), *keys]) + b"\n")
    os.replace(tmp, path)


class TokenCipher:
    def __init__(self, keys: list[bytes]) -> None:
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError:
            raise ConfigError("CANVAS_KEY_FILE: a key in the key file is malformed") from None

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        return cls(load_keyring(key_path(settings)))

    def encrypt(self, user_id: int, token: str) -> bytes:
        return self._fernet.encrypt(f"{user_id}\0{token}".encode())

    def decrypt(self, user_id: int, ciphertext: bytes) -> str:
        try:
            plain = self._fernet.decrypt(ciphertext).decode()
        except (InvalidToken, UnicodeDecodeError):
            raise TokenUnreadable() from None
        owner, _, token = plain.partition("\0")
        if owner != str(user_id):
            raise TokenUnreadable()
        return token

    def rotate(self, ciphertext: bytes) -> bytes:
        return self._fernet.rotate(ciphertext)


def token_hint(token: str) -> str:
    return "…" + token[-4:] if len(token) >= 8 else "…"
