"""Migration 0023: everything written before numbers were given at creation gets its Testsigma
number, and every number already given (so maybe shown to a client) stays what it was."""

from typing import Any

import sqlalchemy as sa
from alembic import command

from testament.bootstrap import build_context
from testament.compat.testsigma import translate
from testament.services import environments, executions, plan_runs, plans, run_configs, suites, uploads
from testament.services import test_cases as tc
from testament.store.db import alembic_config
from tests.integration.conftest import Engine

NUMBERS = "SELECT entity, core_id, id FROM surface_ids WHERE surface = 'testsigma'"


def _a_workspace_with_one_of_everything(engine: Engine) -> str:
    ctx, me = engine.ctx, engine.principal
    content = {"steps": [{"name": "call", "request": {"url": "http://127.0.0.1:9/"}}]}
    case = tc.create_test_case(ctx, me, kind="http", name="login", content=content, publish=True)
    suite = suites.create_suite(ctx, me, name="smoke", test_case_ids=[case.test_case.id])
    machines = [{"name": "chrome", "suite_ids": [suite.id]}, {"name": "fire/fox", "suite_ids": [suite.id]}]
    plan = plans.create_plan(ctx, me, name="nightly", suite_ids=[], machines=machines)
    environment = environments.create_environment(
        ctx, me, name="staging", variables={"a": 1}, secrets={"pw": "s"}
    )
    started = executions.start_execution(ctx, me, plan_id=plan.id, environment_id=environment.id)
    upload = uploads.create_upload(ctx, me, name="app")
    uploads.add_version(ctx, me, upload.id, name="1.0", file_name="app.apk", data=b"apk")
    condition = {"key": "suite", "values": [suite.id]}
    run_configs.create_run_config(
        ctx, me, plan_id=plan.id, name="s", condition="INCLUDED", filters=[condition]
    )
    assert started.plan_run is not None
    return started.plan_run.id


def _numbers(db: sa.Connection) -> dict[tuple[str, str], int]:
    return {(entity, core): number for entity, core, number in db.execute(sa.text(NUMBERS))}


def test_the_backfill_numbers_what_existed_and_keeps_the_numbers_given(make_engine: Any) -> None:
    engine = make_engine()
    run_id = _a_workspace_with_one_of_everything(engine)
    settings = engine.ctx.settings
    engine.ctx.db.dispose()
    url = settings.database_url
    sa_engine = sa.create_engine(url)
    with sa_engine.connect() as db:
        numbered_by_the_app = _numbers(db)
    assert {entity for entity, _core in numbered_by_the_app} >= {
        "key", "test_case", "suite", "plan", "machine", "environment", "environment_variable",
        "plan_run", "execution", "machine_result", "suite_result", "test_case_result",
        "upload", "upload_version", "run_config",
    }  # fmt: skip
    # Before 0023 a number existed only once a request had shown it: keep two, under numbers
    # of their own, and one of an entity since deleted; the rest were never made.
    command.downgrade(alembic_config(url), "0022")
    shown = [key for key in numbered_by_the_app if key[0] in ("plan_run", "test_case_result")]
    with sa_engine.begin() as db:
        db.execute(sa.text("DELETE FROM surface_ids"))
        for number, (entity, core) in enumerate([*shown, ("plan", "gone")], start=900):
            db.execute(
                sa.text(
                    "INSERT INTO surface_ids (id, surface, entity, core_id) VALUES (:id, 'testsigma', :e, :c)"
                ),
                {"id": number, "e": entity, "c": core},
            )
        kept = _numbers(db)

    command.upgrade(alembic_config(url), "head")

    with sa_engine.connect() as db:
        after = _numbers(db)
    sa_engine.dispose()
    assert {key: after[key] for key in kept} == kept
    assert set(numbered_by_the_app) <= set(after)
    # and a read finds every number the answers show, without making one
    ctx = build_context(settings, run_migrations=False)
    try:
        sheet = plan_runs.plan_run_sheet(ctx, engine.principal, run_id, [("key", engine.principal.key_id)])
        answer = translate.run_wire(sheet, executed_by=sheet.numbers("key", engine.principal.key_id))
        results = translate.test_case_results_wire(sheet)
    finally:
        ctx.db.dispose()
    assert answer["id"] == kept[("plan_run", run_id)]
    assert {r["testCaseResultId"] for r in results["testCases"]} <= set(kept.values())
    assert len(results["testCases"]) == 2  # one per machine
