"""Migration 0024: the tags test cases already have become test_case_tags rows."""

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from testament.store.db import alembic_config
from tests.integration.conftest import fresh_database_url


def test_existing_tags_become_rows_and_cases_without_tags_have_none(tmp_path: Path) -> None:
    url = fresh_database_url(tmp_path)
    command.upgrade(alembic_config(url), "0023")
    engine = sa.create_engine(url)
    now = datetime(2026, 1, 2, tzinfo=UTC)
    with engine.begin() as db:
        db.execute(
            sa.text("INSERT INTO workspaces (id, name, created_at) VALUES ('w1', 'Team', :now)"), {"now": now}
        )
        for case, tags in (("c1", {"team": "billing", "tier": "gold"}), ("c2", {}), ("c3", {"team": "x"})):
            db.execute(
                sa.text(
                    "INSERT INTO test_cases (id, workspace_id, kind, name, description, tags, status,"
                    " version, sha256, retries, created_at, updated_at)"
                    " VALUES (:id, 'w1', 'connect', :id, '', :tags, 'SAVED', 1, '', 0, :now, :now)"
                ),
                {"id": case, "tags": json.dumps(tags), "now": now},
            )

    command.upgrade(alembic_config(url), "0024")

    with engine.connect() as db:
        rows = db.execute(
            sa.text(
                "SELECT test_case_id, workspace_id, key, value FROM test_case_tags ORDER BY test_case_id, key"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("c1", "w1", "team", "billing"),
        ("c1", "w1", "tier", "gold"),
        ("c3", "w1", "team", "x"),
    ]
