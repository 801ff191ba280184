"""Test cases: create, read, change, publish, delete; their versions and data sets."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.content import validate_content
from testament.domain.errors import Conflict, InvalidInput, NotFound, Problem
from testament.domain.execution import ExecutionStatus
from testament.domain.model import (
    TEST_CASE_NAME_MAX,
    DataSet,
    TestCase,
    TestCaseStatus,
    content_sha256,
)
from testament.domain.requirements import check_requires
from testament.kit.ids import new_id
from testament.kit.sentinels import UNSET
from testament.services import references, suites, tasks
from testament.services.context import AppContext, UnitOfWork
from testament.services.paging import Page, check_limit, decode_cursor, make_page
from testament.services.test_cases.tags import tagged, write_tags
from testament.store.repository import owned_by
from testament.store.tables import (
    assignments,
    data_sets,
    executions,
    live,
    test_case_versions,
    test_cases,
)

__all__ = [
    "DataSetInput",
    "TestCaseView",
    "create_test_case",
    "delete_test_case",
    "get_test_case",
    "list_test_cases",
    "publish_test_case",
    "update_test_case",
]

MAX_TAGS = 50
MAX_DATA_SETS = 1000


@dataclass(frozen=True)
class DataSetInput:
    name: str
    variables: dict[str, Any]


@dataclass(frozen=True)
class TestCaseView:
    """A test case with the content of its latest version, and its data sets."""

    __test__ = False
    test_case: TestCase
    content: Any
    data_sets: Sequence[DataSet]


def _check_fields(name: str | None, tags: dict[str, str] | None, retries: int | None) -> None:
    if name is not None and not 1 <= len(name.strip()) <= TEST_CASE_NAME_MAX:
        raise InvalidInput("name", f"must be 1 to {TEST_CASE_NAME_MAX} characters")
    if tags is not None:
        if len(tags) > MAX_TAGS:
            raise InvalidInput("tags", f"at most {MAX_TAGS} tags")
        for key, value in tags.items():
            if not 1 <= len(key) <= 128 or not isinstance(value, str) or len(value) > 256:
                raise InvalidInput(
                    f"tags.{key}", "keys are 1 to 128 characters, values strings of at most 256"
                )
    if retries is not None and not 0 <= retries <= 10:
        raise InvalidInput("retries", "must be between 0 and 10")


def _check_data_sets(sets: Sequence[DataSetInput]) -> None:
    if len(sets) > MAX_DATA_SETS:
        raise InvalidInput("data_sets", f"at most {MAX_DATA_SETS} data sets")
    seen: set[str] = set()
    for i, ds in enumerate(sets):
        if not 1 <= len(ds.name) <= 200:
            raise InvalidInput(f"data_sets[{i}].name", "must be 1 to 200 characters")
        if ds.name in seen:
            raise InvalidInput(f"data_sets[{i}].name", f"{ds.name!r} is used by another data set")
        seen.add(ds.name)


def _prepare_content(kind: str, content: Any, publish: bool) -> Any:
    return validate_content(kind, content, publishing=publish)


def _load(
    session: Session, principal: Principal, test_case_id: str, *, lock: bool = False, retired: bool = False
) -> TestCase:
    """A test case by id or name (`retired`: a deleted one too, by its id)."""
    return references.load(session, principal, references.TEST_CASE, test_case_id, retired=retired, lock=lock)


LIVE = live(test_cases)[0]
"""Test cases not deleted: a deleted one that ran stays only for its executions' history."""


def _content(session: Session, case_id: str, version: int) -> Any:
    return session.execute(
        select(test_case_versions.c.content).where(
            test_case_versions.c.test_case_id == case_id, test_case_versions.c.version == version
        )
    ).scalar_one()


def _data_sets(session: Session, case_id: str) -> list[DataSet]:
    return list(
        session.scalars(
            select(DataSet).where(data_sets.c.test_case_id == case_id).order_by(data_sets.c.position)
        )
    )


def _replace_data_sets(session: Session, case_id: str, sets: Sequence[DataSetInput]) -> None:
    session.execute(delete(data_sets).where(data_sets.c.test_case_id == case_id))
    for i, ds in enumerate(sets):
        session.add(
            DataSet(id=new_id(), test_case_id=case_id, position=i, name=ds.name, variables=ds.variables)
        )


def _flush_unique(uow: UnitOfWork, name: str) -> None:
    try:
        uow.session.flush()
    except IntegrityError as exc:
        if "uq_test_cases_workspace_live_name" in str(
            exc.orig
        ) or "test_cases.workspace_id, test_cases.name" in str(exc.orig):
            raise Conflict(f"a test case named {name!r} already exists in this workspace") from None
        raise Conflict("the test case was changed by another request at the same time; try again") from None


def create_test_case(
    app: AppContext,
    principal: Principal,
    *,
    kind: str,
    name: str,
    content: Any,
    description: str = "",
    tags: dict[str, str] | None = None,
    retries: int = 0,
    data_sets: Sequence[DataSetInput] = (),
    publish: bool = False,
    suite_id: str | None = None,
    requires: dict[str, str] | None = None,
) -> TestCaseView:
    """A new test case; with `suite_id`, added to the end of that suite in the same change."""
    principal.require(Permission.WRITE)
    _check_fields(name, tags or {}, retries)
    requires = check_requires("requires", requires)
    _check_data_sets(data_sets)
    content = _prepare_content(kind, content, publish)
    now = app.clock()
    case = TestCase(
        id=new_id(),
        workspace_id=principal.workspace_id,
        kind=kind,
        name=name.strip(),
        description=description,
        tags=dict(tags or {}),
        status=TestCaseStatus.SAVED,
        version=0,
        sha256="",
        retries=retries,
        created_at=now,
        updated_at=now,
        requires=requires,
    )
    version = case.revise(content, now)
    assert version is not None
    version.id = new_id()
    if publish:
        case.publish(now)
    with app.uow() as uow:
        suite = references.load(uow.session, principal, references.SUITE, suite_id) if suite_id else None
        uow.session.add(case)
        _flush_unique(uow, case.name)
        write_tags(uow.session, case)
        uow.session.add(version)
        _replace_data_sets(uow.session, case.id, data_sets)
        if suite is not None:
            suite.test_case_ids, suite.updated_at = [*suite.test_case_ids, case.id], now
        uow.commit()
        return TestCaseView(case, content, _data_sets(uow.session, case.id))


def get_test_case(
    app: AppContext,
    principal: Principal,
    test_case_id: str,
    *,
    version: int | None = None,
    retired: bool = False,
) -> TestCaseView:
    """A test case (`retired=True`: a deleted one that ran too, for its executions' sake)."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        case = _load(session, principal, test_case_id, retired=retired)
        wanted = version or case.version
        if not 1 <= wanted <= case.version:
            raise NotFound("test case version", f"{test_case_id}@{wanted}")
        return TestCaseView(case, _content(session, case.id, wanted), _data_sets(session, case.id))


def find_test_case_id(app: AppContext, principal: Principal, id_or_name: str) -> str:
    """Resolve a test case given by id or by name."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _load(session, principal, id_or_name).id


def list_test_cases(
    app: AppContext,
    principal: Principal,
    *,
    limit: int = 50,
    cursor: str | None = None,
    kind: str | None = None,
    status: TestCaseStatus | None = None,
    tag: str | None = None,
    name_contains: str | None = None,
) -> Page[TestCase]:
    """Test cases in creation order. `tag` is `key` or `key=value`."""
    principal.require(Permission.READ)
    check_limit(limit)
    after = decode_cursor(app.cursors, "test-cases", cursor)
    query = select(TestCase).where(owned_by(test_cases, principal.workspace_id), LIVE)
    if kind:
        query = query.where(test_cases.c.kind == kind)
    if status:
        query = query.where(test_cases.c.status == status)
    if name_contains:
        query = query.where(test_cases.c.name.contains(name_contains, autoescape=True))
    if tag is not None:
        query = query.where(tagged(test_cases.c.id, principal.workspace_id, tag))
    if after:
        query = query.where(test_cases.c.id > after)
    query = query.order_by(test_cases.c.id)
    with app.db.reading() as session:
        rows = list(session.scalars(query.limit(limit + 1)))
    return make_page(app.cursors, "test-cases", rows, limit, key=lambda c: c.id)


def matches_tag(tags: dict[str, str], tag: str) -> bool:
    key, sep, value = tag.partition("=")
    return key in tags and (not sep or tags[key] == value)


def update_test_case(
    app: AppContext,
    principal: Principal,
    test_case_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    retries: int | None = None,
    content: Any = UNSET,
    data_sets: Sequence[DataSetInput] | None = None,
    publish: bool = False,
    requires: dict[str, str] | None = None,
) -> TestCaseView:
    """Change the fields given (`requires={}` removes the test case's requirements)."""
    principal.require(Permission.WRITE)
    _check_fields(name, tags, retries)
    if requires is not None:
        requires = check_requires("requires", requires)
    if data_sets is not None:
        _check_data_sets(data_sets)
    now = app.clock()
    with app.uow() as uow:
        case = _load(uow.session, principal, test_case_id, lock=True)
        if content is not UNSET:
            content = _prepare_content(case.kind, content, publish)
            new_version = case.revise(content, now)
            if new_version is not None:
                new_version.id = new_id()
                uow.session.add(new_version)
        else:
            content = _content(uow.session, case.id, case.version)
            if publish:
                content = _prepare_content(case.kind, content, publish=True)
        if name is not None:
            case.name = name.strip()
        if description is not None:
            case.description = description
        if tags is not None:
            case.tags = dict(tags)
            write_tags(uow.session, case)
        if retries is not None:
            case.retries = retries
        if requires is not None:
            case.requires = requires
        if data_sets is not None:
            _replace_data_sets(uow.session, case.id, data_sets)
        if publish:
            case.publish(now)
        case.updated_at = now
        _flush_unique(uow, case.name)
        uow.commit()
        return TestCaseView(case, content, _data_sets(uow.session, case.id))


def publish_test_case(app: AppContext, principal: Principal, test_case_id: str) -> TestCaseView:
    """Validate the latest version and make it the one executions run."""
    return update_test_case(app, principal, test_case_id, publish=True)


def delete_test_case(app: AppContext, principal: Principal, test_case_id: str) -> None:
    """A test case that never ran goes; one that ran is retired (hidden, its name freed) so
    its executions keep their records, versions and scores."""
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # a start of this case cannot slip in between
        case = _load(uow.session, principal, test_case_id)
        active = uow.session.execute(
            select(executions.c.id).where(
                executions.c.test_case_id == case.id,
                executions.c.status.in_([ExecutionStatus.QUEUED, ExecutionStatus.RUNNING]),
            )
        ).first()
        if active is not None:
            raise Conflict(
                f"test case {case.name!r} has an execution in progress ({active[0]}); stop it first"
            )
        tasks.refuse_if_in_a_task(uow.session, f"test case {case.name!r}", test_case_id=case.id)
        ran = uow.session.scalar(select(executions.c.id).where(executions.c.test_case_id == case.id).limit(1))
        suites.leave_suites(uow.session, principal, case.id)
        if ran is None:
            uow.session.delete(case)
        else:
            case.retire(app.clock())  # its executions, records and versions stay readable
            # assignments nobody ran go with it; those with runs stay, for their runs
            unrun = select(executions.c.id).where(executions.c.assignment_id == assignments.c.id)
            uow.session.execute(
                delete(assignments).where(assignments.c.test_case_id == case.id, ~unrun.exists())
            )
        uow.commit()


def content_problems(kind: str, content: Any) -> list[Problem]:
    """Validate without storing: the problems, or an empty list."""
    try:
        validate_content(kind, content)
    except InvalidInput as exc:
        return exc.problems
    return []


__all__ += [
    "LIVE",
    "UNSET",
    "content_problems",
    "content_sha256",
    "find_test_case_id",
    "matches_tag",
]
