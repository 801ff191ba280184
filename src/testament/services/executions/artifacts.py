"""Artifacts: files a runner kept for an execution (a full response body, a log, a report).

Files live under `<data_dir>/artifacts/<workspace>/<execution>/`; the table keeps their
name, media type, size and SHA-256.
"""

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import NotFound
from testament.domain.execution import Execution
from testament.domain.model import Artifact
from testament.kit.ids import new_id
from testament.services.context import AppContext, UnitOfWork
from testament.store.repository import Repository
from testament.store.tables import artifacts

__all__ = ["delete_artifact", "list_artifacts", "open_artifact", "store_artifact"]


def store_artifact(
    uow: UnitOfWork, execution: Execution, name: str, data: bytes, media_type: str, record_seq: int | None
) -> Artifact:
    """Write the file under the data directory and its row, in the caller's transaction."""
    artifact_id = new_id()
    safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100] or "artifact"
    root = uow.app.settings.artifacts_dir
    folder = root / execution.workspace_id / execution.id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{artifact_id}-{safe_name}"
    path.write_bytes(data)
    artifact = Artifact(
        id=artifact_id,
        execution_id=execution.id,
        name=name,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        path=str(path.relative_to(root)),
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


def open_artifact(app: AppContext, principal: Principal, artifact_id: str) -> tuple[Artifact, Path]:
    """The artifact and the path of its file, checked to be in the principal's workspace."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        artifact = session.get(Artifact, artifact_id)  # in the workspace of its execution
        execution = _executions(session, principal).find(artifact.execution_id) if artifact else None
    if artifact is None or execution is None:
        raise NotFound("artifact", artifact_id)
    path = (app.settings.artifacts_dir / artifact.path).resolve()
    if not path.is_relative_to(app.settings.artifacts_dir.resolve()) or not path.is_file():
        raise NotFound("artifact file", artifact_id)
    return artifact, path


def delete_artifact(app: AppContext, principal: Principal, artifact_id: str) -> None:
    """Delete a kept file and its row (a tester removing an attachment they added)."""
    principal.require(Permission.EXECUTE)
    artifact, path = open_artifact(app, principal, artifact_id)
    with app.uow() as uow:
        uow.session.execute(artifacts.delete().where(artifacts.c.id == artifact.id))
        uow.commit()
    path.unlink(missing_ok=True)
