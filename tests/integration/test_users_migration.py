"""Migration 0019: the user names keys acted as become users, and each key belongs to its user."""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from testament.domain.users import user_id_for
from testament.store.db import alembic_config
from tests.integration.conftest import fresh_database_url


def test_existing_keys_names_become_users_with_the_ids_they_were_shown_with(tmp_path: Path) -> None:
    url = fresh_database_url(tmp_path)
    command.upgrade(alembic_config(url), "0018")
    engine = sa.create_engine(url)
    now = datetime(2026, 1, 2, tzinfo=UTC)
    with engine.begin() as db:
        db.execute(
            sa.text("INSERT INTO workspaces (id, name, created_at) VALUES ('w1', 'Team', :now)"), {"now": now}
        )
        for key, user in (("k1", "ann"), ("k2", "ann"), ("k3", "bob")):
            db.execute(
                sa.text(
                    "INSERT INTO api_keys (id, workspace_id, user_name, role, token_hash, access_key_id,"
                    " secret_ciphertext, created_at) VALUES (:id, 'w1', :user, 'tester', :id, :id, 'x', :now)"
                ),
                {"id": key, "user": user, "now": now},
            )

    command.upgrade(alembic_config(url), "0019")

    with engine.connect() as db:
        found = db.execute(sa.text("SELECT id, name, display_name, enabled FROM users ORDER BY name")).all()
        keys = dict(db.execute(sa.text("SELECT id, user_id FROM api_keys")).all())
    engine.dispose()
    ann, bob = user_id_for("w1", "ann"), user_id_for("w1", "bob")
    assert [tuple(r) for r in found] == [(ann, "ann", "ann", True), (bob, "bob", "bob", True)]
    assert keys == {"k1": ann, "k2": ann, "k3": bob}
