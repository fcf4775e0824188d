"""`keys rotate`: put a new primary key in the ring and re-encrypt every stored token (and notification
URL) under it."""

from __future__ import annotations

import argparse
from typing import Any

from canvas.cli.common import command, emit, engine
from canvas.config import Settings


def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    from cryptography.fernet import InvalidToken

    from canvas.crypto import TokenCipher, add_primary_key, key_path, load_keyring
    from canvas.db import jobs, notify, repo

    eng = engine(settings)
    path = key_path(settings)
    add_primary_key(path)
    cipher = TokenCipher(load_keyring(path))
    rotated, unreadable = 0, []
    with eng.begin() as conn:
        for user_id, ciphertext in repo.all_token_rows(conn):
            try:
                repo.set_ciphertext(conn, user_id=user_id, ciphertext=cipher.rotate(ciphertext))
                rotated += 1
            except InvalidToken:  # no key in the ring opens this row
                unreadable.append(user_id)
                jobs.mark_token_invalid(conn, user_id, "Stored token cannot be decrypted. Reconnect in Settings.")
        rotated_targets = notify.rotate_targets(conn, cipher)  # notification URLs use the same key ring
    doc = {"rotated": rotated, "unreadable": unreadable, "key_file": str(path),
           "rotated_notification_urls": rotated_targets}
    if args.json:
        emit(doc)
    else:
        print(f"Re-encrypted {rotated} token(s) under a new primary key in {path}")
        if unreadable:
            print(f"{len(unreadable)} token(s) could not be opened; those users must reconnect: {unreadable}")
    return 0


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="token encryption keys").add_subparsers(dest="keys_cmd", required=True)
    command(keys, "rotate", cmd_keys_rotate, "re-encrypt every stored token under a new primary key")
