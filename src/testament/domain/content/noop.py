"""The `noop` kind: runs no step and passes. For smoke-testing a deployment and for measuring
the engine's own overhead per execution."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from testament.domain.scoring import Effect

__all__ = ["EXAMPLE", "NoopContent"]

EXAMPLE: dict[str, Any] = {"note": "smoke test: the server takes executions and its workers finish them"}


class NoopContent(BaseModel):
    """The content of a `noop` test case: nothing to run; it passes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE, {}]})

    note: str = Field(default="", max_length=1000, description="free text, for the reader")
    effects: list[Effect] | None = Field(default=None, max_length=50)
