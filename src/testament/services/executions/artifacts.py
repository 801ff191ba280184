"""Artifacts: files a runner kept for an execution (a full response body, a log, a report).

The artifact store (services/blobs.py) keeps the bytes: a folder, `<data_dir>/artifacts/
<workspace>/<execution>/`, or the database; the table keeps their name, media type, size,
SHA-256 and the key of their file.
"""

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import NotFound
from testament.domain.execution import Execution
from testament.domain.model import Artifact
from testament.kit.ids import new_id
from testament.services import blobs
from testament.services.blobs import StoredBlob
from testament.services.context import AppContext, UnitOfWork
from testament.store.repository import Repository
from testament.store.tables import artifacts, executions

__all__ = [
    "artifact_file_name",
    "delete_artifact",
    "file_keys",
    "list_artifacts",
    "open_artifact",
    "store_artifact",
]


def artifact_file_name(app: AppContext, execution_id: str, name: str) -> str:
    """Where a folder keeps an artifact's file, relative to the artifacts folder:
    `<workspace>/<execution>/<id>-<name>`."""
    with app.db.reading() as session:
        workspace_id = session.scalar(
            select(executions.c.workspace_id).where(executions.c.id == execution_id)
        )
    return f"{workspace_id}/{execution_id}/{new_id()}-{blobs.safe_file_name(name, 'artifact')}"


def store_artifact(
    uow: UnitOfWork,
    execution: Execution,
    name: str,
    blob: StoredBlob,
    media_type: str,
    record_seq: int | None,
) -> Artifact:
    """The row of a file already kept (`blobs.kept`), in the caller's transaction."""
    artifact = Artifact(
        id=new_id(),
        execution_id=execution.id,
        name=name,
        media_type=media_type,
        size=blob.size,
        sha256=blob.sha256,
        path=blob.key,
        created_at=uow.app.clock(),
        record_seq=record_seq,
    )
    uow.session.add(artifact)
    return artifact


def _executions(session: Session, principal: Principal) -> Repository[Execution]:
    return Repository(session, Execution, principal.workspace_id, "execution")


def list_artifacts(app: AppContext, principal: Principal, execution_id: str) -> list[Artifact]:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        _executions(session, principal).get(execution_id)
        return list(
            session.scalars(
                select(Artifact).where(artifacts.c.execution_id == execution_id).order_by(artifacts.c.id)
            )
        )


def _find(app: AppContext, principal: Principal, artifact_id: str) -> Artifact:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        artifact = session.get(Artifact, artifact_id)  # in the workspace of its execution
        execution = _executions(session, principal).find(artifact.execution_id) if artifact else None
    if artifact is None or execution is None:
        raise NotFound("artifact", artifact_id)
    return artifact


def open_artifact(
    app: AppContext, principal: Principal, artifact_id: str
) -> tuple[Artifact, Iterator[bytes]]:
    """The artifact, checked to be in the principal's workspace, and its file's chunks."""
    artifact = _find(app, principal, artifact_id)
    return artifact, blobs.open_file_of(app, artifact.path, "artifact", artifact_id)


def delete_artifact(app: AppContext, principal: Principal, artifact_id: str) -> None:
    """Delete a kept file and its row (a tester removing an attachment they added)."""
    principal.require(Permission.EXECUTE)
    artifact = _find(app, principal, artifact_id)
    with app.uow() as uow:
        uow.session.execute(artifacts.delete().where(artifacts.c.id == artifact.id))
        uow.commit()
    blobs.delete_blobs(app, [artifact.path])


def file_keys(session: Session, execution_id: str) -> list[str]:
    """The keys of an execution's files, read before its rows go (they go with it)."""
    return list(session.scalars(select(artifacts.c.path).where(artifacts.c.execution_id == execution_id)))
