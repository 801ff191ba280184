"""Integer ids for surfaces whose clients expect them (Testsigma): one stable number per
(surface, entity, core id), made on first sight. The core keeps its own ids."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from testament.services.context import AppContext
from testament.store.tables import surface_ids

__all__ = ["core_id_of", "int_id_of", "int_ids_of"]


def int_ids_of(app: AppContext, surface: str, entity: str, core_ids: Iterable[str]) -> dict[str, int]:
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
                    uow.session.execute(
                        surface_ids.insert().values(surface=surface, entity=entity, core_id=core)
                    )
                    uow.commit()
            except IntegrityError:
                pass  # another request numbered it first
        with app.db.reading() as session:
            found = {core: number for core, number in session.execute(query)}
    return found


def int_id_of(app: AppContext, surface: str, entity: str, core_id: str) -> int:
    return int_ids_of(app, surface, entity, [core_id])[core_id]


def core_id_of(app: AppContext, surface: str, entity: str, number: int) -> str | None:
    with app.db.reading() as session:
        found = session.execute(
            select(surface_ids.c.core_id).where(
                surface_ids.c.surface == surface, surface_ids.c.entity == entity, surface_ids.c.id == number
            )
        ).scalar()
    return None if found is None else str(found)
