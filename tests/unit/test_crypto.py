"""Tokens at rest: encrypted, bound to their user, rotatable, key file private."""

from __future__ import annotations

import os
import stat

import pytest

from canvas.crypto import TokenCipher, add_primary_key, load_keyring, token_hint
from canvas.errors import ConfigError, TokenUnreadable


def test_key_file_created_private(tmp_path) -> None:
    path = tmp_path / "keys" / "token.keys"
    keys = load_keyring(path)
    assert len(keys) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_world_readable_key_file_refused(tmp_path) -> None:
    path = tmp_path / "token.keys"
    load_keyring(path)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_keyring(path)


def test_ciphertext_is_bound_to_its_user(tmp_path) -> None:
    cipher = TokenCipher(load_keyring(tmp_path / "k"))
    ct = cipher.encrypt(7, "1~secret-token-value")
    assert b"secret-token-value" not in ct
    assert cipher.decrypt(7, ct) == "1~secret-token-value"
    with pytest.raises(TokenUnreadable):
        cipher.decrypt(8, ct)  # copied into another user's row: does not open


def test_rotation_keeps_old_ciphertexts_readable_and_moves_them_to_the_new_key(tmp_path) -> None:
    path = tmp_path / "k"
    old = TokenCipher(load_keyring(path))
    ct = old.encrypt(1, "tok-abcdef")
    add_primary_key(path)
    ring = load_keyring(path)
    assert len(ring) == 2
    new = TokenCipher(ring)
    rotated = new.rotate(ct)
    assert new.decrypt(1, rotated) == "tok-abcdef"
    only_new = TokenCipher(ring[:1])
    assert only_new.decrypt(1, rotated) == "tok-abcdef"
    with pytest.raises(TokenUnreadable):
        only_new.decrypt(1, ct)


def test_hint_shows_only_last_four() -> None:
    assert token_hint("7~abcdefghijkl1234") == "…1234"
    assert token_hint("short") == "…"
