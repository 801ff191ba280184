"""One settings object, read from `TESTAMENT_*` environment variables (or a `.env` file).

Where data lives, in this order: the `--data-dir` flag of a command, then `TESTAMENT_DATA_DIR`,
then a `.testament` folder in the current directory or the nearest one above it, then the
per-user data directory (`$XDG_DATA_HOME/testament`, by default `~/.local/share/testament`). So
`testament serve` and the admin commands find the same database from any folder.
"""

import contextlib
import os
import sys
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from testament.kit.ids import new_secret

__all__ = ["Settings", "default_data_dir", "user_data_dir"]

LOCAL_DATA_DIR = ".testament"


def user_data_dir() -> Path:
    """The per-user data directory, as each platform places it."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "testament"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "testament"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "testament"


def default_data_dir(start: Path | None = None) -> Path:
    """A `.testament` folder in `start` (the current directory) or the nearest one above it;
    else the per-user data directory."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / LOCAL_DATA_DIR).is_dir():
            return folder / LOCAL_DATA_DIR
    return user_data_dir()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TESTAMENT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir, description="database file, artifacts, secret key (see above)"
    )
    database_url: str = Field(default="", description="default: a SQLite file in data_dir")
    secret_key: str = Field(
        default="", description="signs cursors and encrypts stored secrets; default: kept in data_dir"
    )
    artifact_store: Literal["", "local", "database"] = Field(
        default="",
        description="where artifacts and attachments are kept: local (files in data_dir) or database "
        "(chunks in the database, which every process of a fleet can serve); default: database on "
        "PostgreSQL, local on SQLite (one machine, whose folder is as shared as its database file)",
    )

    executor: str = Field(default="local", description="where executions run: local")
    workers: int = Field(
        default=4,
        ge=1,
        le=64,
        description="executions `serve`'s worker processes run at once in all (an in-process pool's size)",
    )
    worker_niceness: int = Field(
        default=10,
        ge=0,
        le=19,
        description="CPU niceness of worker processes: on a machine shared with the API or the database, "
        "they answer first (0: the same priority)",
    )
    max_running_executions: int = Field(default=5, ge=1, description="per workspace")
    max_queued_executions: int = Field(default=100, ge=1, description="per workspace, running included")
    max_duration_s: float = Field(default=300.0, gt=0, description="an execution running longer FAILS")
    lease_s: float = Field(default=30.0, gt=0, description="a worker that misses renewing this long is lost")
    heartbeat_s: float = Field(default=5.0, gt=0, description="how often a worker renews its lease")
    max_recoveries: int = Field(default=2, ge=0, description="times a lost execution is taken up again")
    poll_s: float = Field(default=1.0, gt=0, description="idle workers look for queued work this often")
    callback_backoff_s: float = Field(
        default=1.0,
        gt=0,
        description="first wait before a failed completion callback is tried again (doubles)",
    )
    callback_poll_s: float = Field(default=0.5, gt=0, description="how often due callbacks are looked for")
    callback_allow_local: bool = Field(
        default=False,
        description="let completion callbacks reach loopback and link-local addresses (this host, cloud "
        "metadata services); private networks are always allowed",
    )
    idempotency_window_s: float = Field(default=24 * 3600.0, gt=0, description="client tokens live this long")
    aws_rate_limit: str = Field(
        default="50/second", description="requests per access key on the Amazon Connect surface"
    )
    ui_session_s: float = Field(
        default=12 * 3600.0, gt=0, description="a web UI sign-in lasts this long (then sign in again)"
    )
    public_url: str = Field(
        default="",
        description="the server's own base URL, which every execution sees as the variable "
        "testament_url; `testament serve` sets http://HOST:PORT when this is not configured",
    )

    _data_dir_configured: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _defaults_from_data_dir(self) -> "Settings":
        self._data_dir_configured = "data_dir" in self.model_fields_set
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir.resolve() / 'testament.db'}"
        if not self.artifact_store:
            self.artifact_store = "local" if self.database_url.startswith("sqlite") else "database"
        if self.heartbeat_s >= self.lease_s:
            raise ValueError("heartbeat_s must be shorter than lease_s")
        return self

    def data_dir_origin(self, from_flag: bool = False) -> str:
        """Why this data directory: the rule of the order above that chose it."""
        if from_flag:
            return "--data-dir"
        if self._data_dir_configured:
            return "TESTAMENT_DATA_DIR"
        if self.data_dir.name == LOCAL_DATA_DIR:
            return f"the {LOCAL_DATA_DIR} folder found from the current directory"
        return "the per-user data directory"

    def database_label(self) -> str:
        """The database URL with any password hidden, for telling people which one is used."""
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(new_secret(48))
            tmp.chmod(0o600)
            with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
                path.hardlink_to(tmp)  # atomic: never a half-written key
            tmp.unlink(missing_ok=True)
        return path.read_text().strip()
