"""Files kept with a script (a manual test case) or an incident, and comments on incidents.

A step result's files are artifacts of its run (they live and die with the run); these belong
to entities outside any run, so they are kept apart, by the kind and id of what holds them.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from testament.domain.errors import InvalidInput

__all__ = ["MAX_COMMENT", "Attachment", "Comment", "Holder", "checked_comment"]

MAX_COMMENT = 32_000


class Holder(StrEnum):
    TEST_CASE = "test_case"
    INCIDENT = "incident"


@dataclass
class Attachment:
    id: str
    workspace_id: str
    holder: str  # a Holder
    holder_id: str
    name: str
    media_type: str
    size: int
    sha256: str
    path: str  # under the data directory's artifacts folder
    created_by: str
    created_at: datetime


@dataclass
class Comment:
    id: str
    incident_id: str
    body: str
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime


def checked_comment(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("body", "a comment needs text")
    if len(body) > MAX_COMMENT:
        raise InvalidInput("body", f"must be at most {MAX_COMMENT} characters")
    return body
