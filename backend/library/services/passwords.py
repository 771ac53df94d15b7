"""Passwords: Argon2id hashes (argon2-cffi), a length policy and a common-password list; no composition rules."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH, MAX_LENGTH = 8, 128


@lru_cache(maxsize=4)
def hasher(params: tuple = ()) -> PasswordHasher:
    """argon2-cffi's defaults (Argon2id, t=3, m=64 MiB, p=4) unless params (time, memory KiB, parallelism) are given."""
    if not params:
        return PasswordHasher()
    time_cost, memory_cost, parallelism = params
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@lru_cache(maxsize=1)
def _common() -> frozenset:
    """The 30 000 most common passwords of zxcvbn's list (lower-cased), e.g. "password1234"."""
    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def problems(password: str) -> list[str]:
    """Why a new password is refused (empty when it is fine)."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    if password.lower() in _common():
        return ["This password is one of the most common ones; choose another."]
    return []


def hash_password(password: str, params: tuple = ()) -> str:
    return hasher(params).hash(password)


def warm_up(params: tuple = ()) -> None:
    """Compute the dummy hash now (at app start), so the first unknown-email login costs no extra hash."""
    _dummy_hash(params)


@lru_cache(maxsize=4)
def _dummy_hash(params: tuple) -> str:
    return hasher(params).hash("not the password of anyone")


def verify(password_hash: str | None, password: str, params: tuple = ()) -> bool:
    """Check a password; with no hash (unknown user) verify against a dummy so timing reveals nothing."""
    try:
        return hasher(params).verify(password_hash or _dummy_hash(params), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, params: tuple = ()) -> bool:
    return hasher(params).check_needs_rehash(password_hash)
