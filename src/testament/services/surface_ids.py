"""Integer ids for surfaces whose clients expect them (Testsigma): one stable number per
(surface, entity, core id), made on first sight and owned by the workspace that saw it
first; a number resolves only in that workspace. The core keeps its own ids."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from testament.services.context import AppContext
from testament.store.tables import surface_ids

__all__ = ["core_id_of", "int_id_of", "int_ids_of"]


def int_ids_of(
    app: AppContext, surface: str, entity: str, core_ids: Iterable[str], workspace_id: str | None = None
) -> dict[str, int]:
    wanted = list(dict.fromkeys(core_ids))
    if not wanted:
        return {}
    query = select(surface_ids.c.core_id, surface_ids.c.id).where(
        surface_ids.c.surface == surface, surface_ids.c.entity == entity, surface_ids.c.core_id.in_(wanted)
    )
    with app.db.reading() as session:
        found = {core: number for core, number in session.execute(query)}
    missing = [c for c in wanted if c not in found]
    if missing:
        for core in missing:
            try:
                with app.uow() as uow:
                    row = {
                        "surface": surface,
                        "entity": entity,
                        "core_id": core,
                        "workspace_id": workspace_id,
                    }
                    uow.session.execute(surface_ids.insert().values(**row))
                    uow.commit()
            except IntegrityError:
                pass  # another request numbered it first
        with app.db.reading() as session:
            found = {core: number for core, number in session.execute(query)}
    return found


def int_id_of(
    app: AppContext, surface: str, entity: str, core_id: str, workspace_id: str | None = None
) -> int:
    return int_ids_of(app, surface, entity, [core_id], workspace_id)[core_id]


MAX_ID = 2**63 - 1


def core_id_of(
    app: AppContext, surface: str, entity: str, number: int, workspace_id: str | None = None
) -> str | None:
    """The core id a number stands for, if it is this workspace's (or None: no such number here)."""
    if not 0 < number <= MAX_ID:
        return None
    with app.db.reading() as session:
        row = session.execute(
            select(surface_ids.c.core_id, surface_ids.c.workspace_id).where(
                surface_ids.c.surface == surface, surface_ids.c.entity == entity, surface_ids.c.id == number
            )
        ).first()
    if row is None or (workspace_id is not None and row.workspace_id not in (None, workspace_id)):
        return None
    return str(row.core_id)
