"""Integer ids for surfaces whose clients expect them (Testsigma): one stable number per
(surface, entity, core id), owned by the workspace of the entity; a number resolves only
in that workspace. The core keeps its own ids.

A number is given when its entity is written, in the same transaction: `number_on_write`
makes every writing session number what a flush creates (and the machines and variables a
plan or environment gains when edited). Migration 0023 numbered everything older. So
reading never writes: a request reads the numbers it shows, all in one query per entity.
"""

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy import insert as generic_insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from testament.domain import surface_keys
from testament.domain.execution import Execution
from testament.domain.model import (
    DEFAULT_MACHINE,
    ApiKey,
    Environment,
    Plan,
    PlanRun,
    Resource,
    Suite,
    TestCase,
    UploadVersion,
)
from testament.services import run_configs, uploads
from testament.services.context import AppContext
from testament.store.db import Database
from testament.store.tables import resources, surface_ids

__all__ = [
    "SURFACE",
    "Key",
    "MissingNumber",
    "Numbers",
    "core_id_of",
    "keys_of",
    "number_on_write",
    "numbers_in",
    "numbers_of",
    "run_part_keys",
]

SURFACE = "testsigma"  # the one surface that numbers its ids
Key = tuple[str, str]  # (entity, core id)
RESOURCE_ENTITIES = {uploads.KIND: "upload", run_configs.KIND: "run_config"}
CHUNK = 500  # core ids per IN (...): well under every database's bound on parameters
MAX_ID = 2**63 - 1


class MissingNumber(LookupError):
    """A shown entity has no number: it was written around the numbering (a bug to fix), and a
    read does not make one up, since a number once shown must never change."""


class Numbers:
    """Numbers read for a request: `numbers(entity, core_id)` is the number a client sees."""

    def __init__(self, found: dict[Key, int]) -> None:
        self._found = found

    def __call__(self, entity: str, core_id: str) -> int:
        try:
            return self._found[(entity, core_id)]
        except KeyError:
            raise MissingNumber(f"{entity} {core_id} has no {SURFACE} id") from None


# ---------------------------------------------------------------- numbering, when written


def keys_of(obj: object) -> list[Key]:
    """What a surface numbers of one created (or, for plans and environments, edited) object."""
    match obj:
        case Plan():
            machines = [("machine", surface_keys.machine(obj.id, name)) for name, _v, _s in obj.targets()]
            return [("plan", obj.id), *machines]
        case Environment():
            names = [*obj.variables, *obj.secrets]
            return [("environment", obj.id)] + [
                ("environment_variable", surface_keys.environment_variable(obj.id, name)) for name in names
            ]
        case Execution() if obj.plan_run_id:
            return run_part_keys(obj.plan_run_id, obj.id, obj.machine, obj.suite_id, obj.test_case_id)
        case Suite() | TestCase() | PlanRun() | ApiKey() | UploadVersion():
            return [(_ENTITY_OF[type(obj)], obj.id)]
        case Resource() if obj.kind in RESOURCE_ENTITIES:
            return [(RESOURCE_ENTITIES[obj.kind], obj.id)]
    return []


_ENTITY_OF: dict[type, str] = {
    Suite: "suite",
    TestCase: "test_case",
    PlanRun: "plan_run",
    ApiKey: "key",
    UploadVersion: "upload_version",
}


def run_part_keys(
    run_id: str, execution_id: str, machine_name: str | None, suite_id: str | None, case_id: str
) -> list[Key]:
    """What a plan run's execution adds: itself, and the results of its machine, suite and test case."""
    machine, suite = machine_name or DEFAULT_MACHINE, suite_id or ""
    return [
        ("execution", execution_id),
        ("machine_result", surface_keys.machine_result(run_id, machine)),
        ("suite_result", surface_keys.suite_result(run_id, machine, suite)),
        ("test_case_result", surface_keys.test_case_result(run_id, machine, suite, case_id)),
    ]


def number_on_write(db: Database) -> None:
    """Make every writing session of `db` number what it writes (see the module's docstring)."""
    db.after_write_flush(_number_flushed)


def _number_flushed(session: Session, _flush_context: Any) -> None:
    edited = [o for o in session.dirty if isinstance(o, Plan | Environment)]
    owners: dict[Key, str | None] = {}
    for obj in [*session.new, *edited]:
        for key in keys_of(obj):
            owners.setdefault(key, _workspace_of(session, obj))
    if owners:
        _give_numbers(session, owners)


def _workspace_of(session: Session, obj: object) -> str | None:
    if isinstance(obj, UploadVersion):  # a version belongs to its upload's workspace
        query = select(resources.c.workspace_id).where(resources.c.id == obj.upload_id)
        return session.connection().execute(query).scalar_one_or_none()
    workspace_id = getattr(obj, "workspace_id", None)
    return None if workspace_id is None else str(workspace_id)


def _give_numbers(session: Session, owners: dict[Key, str | None]) -> None:
    """Number the keys that have no number yet; one that has keeps it (a concurrent writer's too)."""
    connection = session.connection()
    rows = [
        {"surface": SURFACE, "entity": entity, "core_id": core_id, "workspace_id": workspace_id}
        for (entity, core_id), workspace_id in owners.items()
    ]
    dialect = connection.dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql_insert(surface_ids).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite_insert(surface_ids).on_conflict_do_nothing()
    else:  # pragma: no cover - the two stores Testament runs on are above
        statement = generic_insert(surface_ids)
    connection.execute(statement, rows)


# ---------------------------------------------------------------- reading, never writing


def numbers_in(session: Session, keys: Iterable[Key]) -> Numbers:
    """The numbers of `keys`, read in `session`: one query per entity (per 500 ids)."""
    wanted: dict[str, list[str]] = {}
    for entity, core_id in dict.fromkeys(keys):
        wanted.setdefault(entity, []).append(core_id)
    found: dict[Key, int] = {}
    for entity, core_ids in wanted.items():
        for chunk in _chunks(core_ids):
            rows = session.execute(_NUMBERS, {"entity": entity, "core_ids": chunk})
            found.update({(entity, core): number for core, number in rows})
    return Numbers(found)


# one statement, its ids bound when run: building an IN of hundreds of literals costs more than the query
_NUMBERS = select(surface_ids.c.core_id, surface_ids.c.id).where(
    surface_ids.c.surface == SURFACE,
    surface_ids.c.entity == bindparam("entity"),
    surface_ids.c.core_id.in_(bindparam("core_ids", expanding=True)),
)


def numbers_of(app: AppContext, keys: Iterable[Key]) -> Numbers:
    """`numbers_in`, in a read transaction of its own."""
    with app.db.reading() as session:
        return numbers_in(session, keys)


def _chunks(items: list[str]) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def core_id_of(app: AppContext, entity: str, number: int, workspace_id: str | None = None) -> str | None:
    """The core id a number stands for, if it is this workspace's (or None: no such number here)."""
    if not 0 < number <= MAX_ID:
        return None
    with app.db.reading() as session:
        row = session.execute(
            select(surface_ids.c.core_id, surface_ids.c.workspace_id).where(
                surface_ids.c.surface == SURFACE, surface_ids.c.entity == entity, surface_ids.c.id == number
            )
        ).first()
    if row is None or (workspace_id is not None and row.workspace_id not in (None, workspace_id)):
        return None
    return str(row.core_id)
