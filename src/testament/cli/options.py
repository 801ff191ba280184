"""What several commands share: their common options, the settings a command runs with, and
the API client of the commands that talk to a server."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from testament.cli.client import ApiClient
from testament.cli.output import err, fail
from testament.config import Settings

__all__ = [
    "DEFAULT_SERVER",
    "AsJson",
    "DataDir",
    "Key",
    "Server",
    "api_client",
    "command_settings",
    "refusing_to_start",
]

Server = Annotated[str, typer.Option("--server", envvar="TESTAMENT_URL", help="the server's base URL")]
Key = Annotated[
    str, typer.Option("--key", envvar="TESTAMENT_API_KEY", help="an API key token", show_default=False)
]
AsJson = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="where the database and files live (default: TESTAMENT_DATA_DIR, else a .testament folder "
        "here or above, else the per-user data directory)",
        show_default=False,
    ),
]
DEFAULT_SERVER = "http://127.0.0.1:8000"


def command_settings(data_dir: Path | None, **overrides: Any) -> Settings:
    """The settings a command runs with; says on stderr which database it uses."""
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    settings = Settings(**overrides)
    err.print(
        f"database {settings.database_label()} (data directory {settings.data_dir}, "
        f"from {settings.data_dir_origin(from_flag=data_dir is not None)})",
        markup=False,
    )
    return settings


@contextmanager
def refusing_to_start() -> Iterator[None]:
    """Around building a command's context: a process that must not start (its secret key is not
    the database's) says why in one line and exits 2, without a traceback."""
    from testament.services.deployment import WrongSecretKey

    try:
        yield
    except WrongSecretKey as exc:
        fail(str(exc))


def api_client(server: str, key: str) -> ApiClient:
    if not key:
        fail("no API key: pass --key or set TESTAMENT_API_KEY")
    return ApiClient(server, key)
