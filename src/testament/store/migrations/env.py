"""Alembic environment: runs migrations on the URL the caller configured."""

from typing import Any, Literal

from alembic import context
from sqlalchemy import create_engine

from testament.store.tables import UtcDateTime, metadata

config = context.config
url: str = config.get_main_option("sqlalchemy.url") or ""
assert url, "sqlalchemy.url must be set by the caller"


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Migrations spell our column types in plain SQLAlchemy, so they never import the app."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run() -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
