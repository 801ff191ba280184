"""The `manual` kind: steps a person walks through and records what happened."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from testament.domain.scoring import Effect, Scorable

__all__ = ["EXAMPLE", "ManualContent", "ManualStep"]

EXAMPLE: dict[str, Any] = {
    "steps": [
        {"description": "Add a book to the cart", "expected_result": "The cart shows 1 item"},
        {
            "description": "Pay with the test card",
            "data": "4242 4242 4242 4242",
            "expected_result": "The order is paid",
            "points": 2,
            "section": "checkout",
        },
    ]
}


class ManualStep(Scorable):
    """One step a person performs; its outcome is recorded through the API."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=10_000, description="what to do")
    data: str = Field(default="", max_length=10_000, description="what to use doing it")
    expected_result: str = Field(default="", max_length=10_000, description="what should happen")


class ManualContent(BaseModel):
    """The content of a `manual` test case: steps a person walks through, in order."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    steps: list[ManualStep] = Field(min_length=1, max_length=500)
    effects: list[Effect] | None = Field(default=None, max_length=50)
