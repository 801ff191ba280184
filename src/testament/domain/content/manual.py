"""The `manual` kind: steps a person walks through and records what happened."""

from pydantic import BaseModel, ConfigDict, Field

from testament.domain.scoring import Effect, Scorable

__all__ = ["ManualContent", "ManualStep"]


class ManualStep(Scorable):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=10_000)
    data: str = Field(default="", max_length=10_000)
    expected_result: str = Field(default="", max_length=10_000)


class ManualContent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[ManualStep] = Field(min_length=1, max_length=500)
    effects: list[Effect] | None = Field(default=None, max_length=50)
