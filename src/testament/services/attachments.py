"""Files kept with a test case (a script's attachments) or an incident.

The artifact store (services/blobs.py) keeps the bytes: a folder, `<data_dir>/artifacts/
<workspace>/attachments/<holder id>/`, or the database; the table keeps their name, media type,
size, SHA-256 and the key of their file. Anyone who reads sees them; who may change what
holds them (writers for test cases, testers for incidents) adds and deletes them.
"""

from collections.abc import Iterator

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.attachments import Attachment, Holder
from testament.domain.errors import InvalidInput, NotFound
from testament.kit.ids import new_id
from testament.services import blobs, incidents, read_side, test_cases
from testament.services.context import AppContext
from testament.services.paging import MAX_LIMIT, Window
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.repository import Repository
from testament.store.tables import attachments

__all__ = [
    "ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "add_attachment",
    "delete_attachment",
    "list_attachments",
    "open_attachment",
    "query_attachments",
]

MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024
_CHANGE = {Holder.TEST_CASE: Permission.WRITE, Holder.INCIDENT: Permission.EXECUTE}


def _check_holder(app: AppContext, principal: Principal, holder: Holder, holder_id: str) -> str:
    """The holder's id, checked to be in the principal's workspace (NotFound otherwise)."""
    if holder is Holder.TEST_CASE:
        return test_cases.get_test_case(app, principal, holder_id).test_case.id
    return incidents.get_incident(app, principal, holder_id).incident.id


def add_attachment(
    app: AppContext,
    principal: Principal,
    holder: Holder,
    holder_id: str,
    *,
    name: str,
    data: bytes,
    media_type: str,
) -> Attachment:
    principal.require(_CHANGE[holder])
    holder_id = _check_holder(app, principal, holder, holder_id)
    if not data:
        raise InvalidInput("file", "an attachment needs the file's bytes")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput("file", f"must be at most {MAX_ATTACHMENT_BYTES} bytes")
    safe_name = blobs.safe_file_name(name, "file")
    where = f"{principal.workspace_id}/attachments/{holder_id}/{new_id()}-{safe_name}"
    with blobs.kept(app, blobs.chunks_of(data), where) as blob, app.uow() as uow:
        attachment = Attachment(
            id=new_id(),
            workspace_id=principal.workspace_id,
            holder=holder.value,
            holder_id=holder_id,
            name=name[:255] or "file",
            media_type=media_type[:255],
            size=blob.size,
            sha256=blob.sha256,
            path=blob.key,
            created_by=principal.user_name,
            created_at=app.clock(),
        )
        uow.session.add(attachment)
        uow.commit()
    return attachment


def _mine(session: Session, principal: Principal) -> Repository[Attachment]:
    return Repository(session, Attachment, principal.workspace_id, "attachment")


def _held_by(holder: Holder, holder_id: str) -> list[ColumnElement[bool]]:
    return [attachments.c.holder == holder.value, attachments.c.holder_id == holder_id]


def list_attachments(
    app: AppContext, principal: Principal, holder: Holder, holder_id: str, window: Window | None = None
) -> tuple[list[Attachment], int]:
    """A holder's attachments (a surface's query window over the attachments table)."""
    principal.require(Permission.READ)
    holder_id = _check_holder(app, principal, holder, holder_id)
    with app.db.reading() as session:
        return _mine(session, principal).offset_page(
            window or Window(limit=MAX_LIMIT), attachments.c.id, *_held_by(holder, holder_id)
        )


def _find(app: AppContext, principal: Principal, attachment_id: str) -> Attachment:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        attachment = _mine(session, principal).find(attachment_id.lower())
    if attachment is None:  # named as asked, not as the key lowercases it
        raise NotFound("attachment", attachment_id)
    return attachment


def open_attachment(
    app: AppContext, principal: Principal, attachment_id: str
) -> tuple[Attachment, Iterator[bytes]]:
    """The attachment, checked to be in the principal's workspace, and its file's chunks."""
    attachment = _find(app, principal, attachment_id)
    return attachment, blobs.open_file_of(app, attachment.path, "attachment", attachment_id)


def delete_attachment(
    app: AppContext, principal: Principal, holder: Holder, holder_id: str, attachment_id: str
) -> None:
    principal.require(_CHANGE[holder])
    attachment = _find(app, principal, attachment_id)
    if attachment.holder != holder.value or attachment.holder_id != _check_holder(
        app, principal, holder, holder_id
    ):
        raise NotFound("attachment", attachment_id)
    with app.uow() as uow:
        uow.session.execute(attachments.delete().where(attachments.c.id == attachment.id))
        uow.commit()
    blobs.delete_blobs(app, [attachment.path])


def count_attachments(app: AppContext, principal: Principal, holder: Holder, holder_id: str) -> int:
    """How many files a holder keeps (a retired test case's too)."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return int(
            session.scalar(
                select(func.count()).where(*_mine(session, principal).owned(), *_held_by(holder, holder_id))
            )
            or 0
        )


ATTACHMENTS = View(
    {
        "id": t.attachments.c.id,
        "name": t.attachments.c.name,
        "media_type": t.attachments.c.media_type,
        "size": t.attachments.c.size,
        "created_at": t.attachments.c.created_at,
    }
)


def query_attachments(
    app: AppContext, principal: Principal, holder: Holder, holder_id: str, selection: Selection
) -> tuple[list[Attachment], int]:
    window = read_side.window(ATTACHMENTS, selection)
    return list_attachments(app, principal, holder, holder_id, window)
