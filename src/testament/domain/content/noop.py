"""The `noop` kind: runs no step and passes. For smoke-testing a deployment and for measuring
the engine's own overhead per execution."""

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["NoopContent"]


class NoopContent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=1000)
