"""Opaque, tamper-evident page tokens.

A cursor carries the sort key of the last item a page returned, signed with the server's
secret so a client can neither forge nor edit one. A token minted for one listing (its
`scope`) is refused by another.
"""

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["CursorCodec", "InvalidCursor"]


class InvalidCursor(ValueError):
    pass


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def encode(self, scope: str, key: Any) -> str:
        return URLSafeSerializer(self._secret, salt=scope).dumps(key)

    def decode(self, scope: str, token: str) -> Any:
        try:
            return URLSafeSerializer(self._secret, salt=scope).loads(token)
        except BadSignature as exc:
            raise InvalidCursor("cursor is not one this server issued for this listing") from exc
