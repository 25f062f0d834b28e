"""Secret tokens for private links (set-password links, complaint tracking links).

A token carries 256 random bits; the database keeps only its SHA-256, so a copy of the database (or of
a backup) opens nothing.
"""
from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store for it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """What is stored for `token` (and looked up when it comes back)."""
    return hashlib.sha256(token.encode()).hexdigest()
