"""Uploads: versioned files a run tests against (an app package, a bundle, a data file).

An upload is a workspace resource of kind `upload`; its versions are files the artifact store
(services/blobs.py) keeps: under `<data_dir>/uploads/<workspace>/<upload>/`, or in the database
(then `upload.path` is a copy made in the data folder of the process that names it). A plan
run can name, per machine, the version it tests on that machine; the runner then sees
`upload.name`, `upload.version`, `upload.path` and `upload.sha256` among its variables.
"""

import os
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput, NotFound
from testament.domain.model import Resource, UploadVersion
from testament.kit.ids import new_id
from testament.services import blobs, resources
from testament.services.context import AppContext
from testament.services.paging import Window, all_items, offset_page
from testament.store.repository import Repository
from testament.store.tables import resources as resource_rows
from testament.store.tables import upload_versions

__all__ = [
    "KIND",
    "MAX_BYTES",
    "add_version",
    "create_upload",
    "get_version",
    "list_uploads",
    "list_versions",
    "open_version",
    "page_of_uploads",
    "page_of_versions",
    "run_variables",
    "version_file",
]

KIND = "upload"
MAX_BYTES = 512 * 1024 * 1024


def create_upload(app: AppContext, principal: Principal, *, name: str, description: str = "") -> Resource:
    return resources.create_resource(app, principal, kind=KIND, name=name, description=description, body={})


def list_uploads(app: AppContext, principal: Principal) -> list[Resource]:
    return all_items(partial(resources.list_resources, app, principal, KIND))


def page_of_uploads(
    app: AppContext, principal: Principal, *, offset: int, limit: int
) -> tuple[list[Resource], int]:
    """One offset window of the workspace's uploads in id order, and how many there are: for
    surfaces that page by number (the window and the count are queries, not a slice of all)."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        of_kind = Repository(session, Resource, principal.workspace_id, "upload")
        return of_kind.offset_page(
            Window(limit=limit, offset=offset), resource_rows.c.id, resource_rows.c.kind == KIND
        )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100] or "file"


def add_version(
    app: AppContext,
    principal: Principal,
    upload_id: str,
    *,
    name: str,
    file_name: str,
    data: bytes,
    media_type: str = "application/octet-stream",
) -> UploadVersion:
    """Store a new version's file; the name (say `2.4.1`) is unique within its upload."""
    principal.require(Permission.WRITE)
    upload = resources.get_resource(app, principal, KIND, upload_id)
    if not 1 <= len(name) <= 200:
        raise InvalidInput("name", "must be 1 to 200 characters")
    if not data:
        raise InvalidInput("body", "an upload version needs the file's bytes")
    if len(data) > MAX_BYTES:
        raise InvalidInput("body", f"must be at most {MAX_BYTES} bytes")
    version_id = new_id()
    where = f"uploads/{principal.workspace_id}/{upload.id}/{version_id}-{_safe(file_name)}"
    try:
        with blobs.kept(app, blobs.chunks_of(data), where, app.settings.data_dir) as blob, app.uow() as uow:
            version = UploadVersion(
                id=version_id,
                upload_id=upload.id,
                name=name,
                file_name=file_name[:255] or "file",
                media_type=media_type[:255],
                size=blob.size,
                sha256=blob.sha256,
                path=blob.key,
                created_at=app.clock(),
            )
            uow.session.add(version)
            uow.session.flush()
            uow.commit()
    except IntegrityError:  # the file went with the failed row
        raise Conflict(f"upload {upload.name!r} already has a version named {name!r}") from None
    return version


def list_versions(app: AppContext, principal: Principal, upload: str) -> list[UploadVersion]:
    """An upload's versions; `upload` is its id or name."""
    upload_id = resources.get_resource(app, principal, KIND, upload).id
    with app.db.reading() as session:
        return list(
            session.scalars(
                select(UploadVersion)
                .where(upload_versions.c.upload_id == upload_id)
                .order_by(upload_versions.c.id)
            )
        )


def page_of_versions(
    app: AppContext, principal: Principal, upload: str, *, offset: int, limit: int
) -> tuple[list[UploadVersion], int]:
    """One offset window of an upload's versions in id order, and how many it has."""
    upload_id = resources.get_resource(app, principal, KIND, upload).id
    found = select(UploadVersion).where(upload_versions.c.upload_id == upload_id)
    with app.db.reading() as session:
        return offset_page(session, found, Window(limit=limit, offset=offset), upload_versions.c.id)


def get_version(app: AppContext, principal: Principal, version_id: str) -> tuple[Resource, UploadVersion]:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        version = session.get(UploadVersion, version_id)
    if version is None:
        raise NotFound("upload version", version_id)
    try:
        upload = resources.get_resource(app, principal, KIND, version.upload_id)
    except NotFound:
        raise NotFound("upload version", version_id) from None
    return upload, version


def open_version(app: AppContext, version: UploadVersion) -> Iterator[bytes]:
    """The version's file, as chunks."""
    return blobs.open_file_of(app, version.path, "upload version", version.id, app.settings.data_dir)


def version_file(app: AppContext, version: UploadVersion) -> Path:
    """A path to the version's file on this machine: the file itself in the data folder, or a
    copy of the database's, made once (whole or not at all)."""
    if not blobs.is_in_database(version.path):
        return app.settings.data_dir / version.path
    copy = app.settings.data_dir / "uploads" / "from-database" / f"{version.id}-{_safe(version.file_name)}"
    if not copy.exists():
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial_copy = copy.with_name(f".{copy.name}.{os.getpid()}.{new_id()}")
        with partial_copy.open("wb") as file:
            for chunk in open_version(app, version):
                file.write(chunk)
        partial_copy.replace(copy)  # atomic: a reader never sees half a copy
    return copy


def run_variables(app: AppContext, principal: Principal, version_id: str) -> dict[str, Any]:
    """What a runner sees of the version a machine tests."""
    upload, version = get_version(app, principal, version_id)
    return {
        "upload.name": upload.name,
        "upload.version": version.name,
        "upload.path": str(version_file(app, version).resolve()),
        "upload.sha256": version.sha256,
    }
