"""The `noop` kind: runs no step and passes. For smoke-testing a deployment and for measuring
the engine's own overhead per execution."""

from pydantic import BaseModel, ConfigDict, Field

from testament.domain.scoring import Effect

__all__ = ["NoopContent"]


class NoopContent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=1000)
    effects: list[Effect] | None = Field(default=None, max_length=50)
