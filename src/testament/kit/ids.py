"""Identifiers sortable by creation time (UUIDv7), for good index locality and keyset paging."""

import secrets

import uuid_utils

__all__ = ["new_id", "new_secret"]


def new_id() -> str:
    return str(uuid_utils.uuid7())


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
