"""Users of a workspace: the people its keys act for, runs are recorded by and incidents are
assigned to.

A user's id is derived from the workspace and the user name (a name-based UUID), so that a
user made from a key's name before users were kept has the id it was always shown with. The
name is therefore fixed once the user exists; the display name and e-mail change freely.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from testament.domain.errors import InvalidInput

__all__ = ["MAX_EMAIL", "MAX_NAME", "User", "checked_email", "checked_name", "user_id_for"]

MAX_NAME = 200
MAX_EMAIL = 254  # the longest address SMTP carries
_NAMESPACE = uuid.UUID("6f1d6e8e-7f43-4f8b-9d3c-2e9a6c1b5a10")


def user_id_for(workspace_id: str, name: str) -> str:
    """The id of the user called `name` in a workspace, the same every time."""
    return str(uuid.uuid5(_NAMESPACE, f"{workspace_id}/{name}"))


def checked_name(field: str, value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_NAME:
        raise InvalidInput(field, f"must be text of 1 to {MAX_NAME} characters")
    return value.strip()


def checked_email(field: str, value: object) -> str | None:
    """An address with one `@` between a local part and a domain, or nothing."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_EMAIL:
        raise InvalidInput(field, f"must be an e-mail address of at most {MAX_EMAIL} characters")
    local, at, domain = value.strip().rpartition("@")
    if not (at and local and "." in domain and " " not in value.strip()):
        raise InvalidInput(field, "must be an e-mail address such as ann@example.com")
    return value.strip()


@dataclass
class User:
    id: str
    workspace_id: str
    name: str
    display_name: str
    email: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def new(
        cls, workspace_id: str, name: str, now: datetime, display_name: str = "", email: object = None
    ) -> "User":
        name = checked_name("name", name)
        return cls(
            id=user_id_for(workspace_id, name),
            workspace_id=workspace_id,
            name=name,
            display_name=checked_name("display_name", display_name) if display_name else name,
            email=checked_email("email", email),
            enabled=True,
            created_at=now,
            updated_at=now,
        )

    def change(
        self, now: datetime, *, display_name: object = None, email: object = ..., enabled: object = None
    ) -> None:
        """Change what may change; `email=None` clears the address, leaving it out keeps it."""
        if display_name is not None:
            self.display_name = checked_name("display_name", display_name)
        if email is not ...:
            self.email = checked_email("email", email)
        if enabled is not None:
            if not isinstance(enabled, bool):
                raise InvalidInput("enabled", "must be true or false")
            self.enabled = enabled
        self.updated_at = now
