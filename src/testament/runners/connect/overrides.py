"""Overrides registered by OverrideSystemBehavior, and how resource references are compared.

An override applies to every later flow action of its ActionType whose resource is the one named
in its ActionParameters (spec §2.5, [OURS]); registering the same target again replaces it.
References are compared by `resource_key`: an ARN and a bare id are the same resource when the
ARN's resource part ends with that id.

Pitfalls: a Lambda ARN ends in `function:name[:qualifier]`, so its key is the function name, not
the qualifier; Lex test aliases share the id `TSTALIASID` across bots, so a Lex alias ARN keys
on `bot/alias`, not on the alias alone.
"""

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Override", "Overrides", "override_from", "resource_key"]

# Which ActionParameters key names the resource each override target applies to.
TARGET_KEYS: dict[str, tuple[str, ...]] = {
    "InvokeLambdaFunction": ("LambdaFunctionARN",),
    "CheckHoursOfOperation": ("HoursOfOperationId",),
    "ConnectParticipantWithLexBot": ("LexV2Bot", "AliasArn"),
    "TransferContactToQueue": ("QueueId",),
    "DequeueAndTransferToQueue": ("QueueId",),
}


def resource_key(reference: str) -> str:
    """The part of a reference that names the resource: an id for a bare id or a Connect ARN."""
    ref = reference.strip()
    if not ref.startswith("arn:"):
        return ref
    parts = ref.split(":", 5)
    service = parts[2] if len(parts) > 2 else ""
    resource = parts[5] if len(parts) > 5 else ""
    if service == "lambda" and resource.startswith("function:"):
        return resource.split(":")[1]
    if service == "lex":
        return "/".join(resource.split("/")[1:]) or resource
    return resource.rsplit("/", 1)[-1] or ref


@dataclass(frozen=True)
class Override:
    action_type: str
    resource: str
    strategy: str  # SubstituteResource | MockResponse
    substitute: str = ""
    response_type: str = ""  # ExecutionResult | Error
    value: str = ""  # ExecutionResult.Value (hours) or Error.Value
    loaded_data: str | None = None
    delay_s: float = 0.0
    defined_by: str = ""  # "observation / action" that registered it, for the trace

    def describe(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"ActionType": self.action_type, "Resource": self.resource}
        shown["Strategy"] = self.strategy
        if self.substitute:
            shown["SubstituteArn"] = self.substitute
        if self.response_type:
            shown["Response"] = self.response_type
        if self.value:
            shown["Value"] = self.value
        return shown


def _dig(mapping: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def override_from(behavior: dict[str, Any], defined_by: str) -> Override | str:
    """Read an OverrideSystemBehavior `Behavior`; a str explains why it cannot be used."""
    properties = behavior.get("Properties") or {}
    action_type = str(properties.get("ActionType", "")).strip()
    keys = TARGET_KEYS.get(action_type)
    if keys is None:
        return f"cannot override flow action type {action_type!r}"
    resource = _dig(properties.get("ActionParameters") or {}, keys)
    if not isinstance(resource, str) or not resource:
        return f"the override names no {'.'.join(keys)}"
    strategy = properties.get("Strategy") or {}
    kind = strategy.get("Type")
    if kind == "SubstituteResource":
        return Override(
            action_type,
            resource,
            kind,
            substitute=str(strategy.get("SubstituteArn", "")),
            defined_by=defined_by,
        )
    if kind != "MockResponse":
        return f"unknown override strategy {kind!r}"
    response = strategy.get("Response") or {}
    response_type = str(response.get("Type", ""))
    body = response.get(response_type) or {}
    loaded = body.get("LoadedData")
    if loaded is not None and not isinstance(loaded, str):
        loaded = json.dumps(loaded)  # lenient: an object where a serialized one was expected
    return Override(
        action_type,
        resource,
        kind,
        response_type=response_type,
        value=str(body.get("Value", "")),
        loaded_data=loaded,
        delay_s=_seconds(body.get("DelaySeconds")),
        defined_by=defined_by,
    )


def _seconds(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 0.0


@dataclass
class Overrides:
    _by_target: dict[tuple[str, str], Override] = field(default_factory=dict)

    def register(self, override: Override) -> None:
        self._by_target[(override.action_type, resource_key(override.resource))] = override

    def find(self, action_type: str, *references: str | None) -> Override | None:
        for reference in references:
            if reference:
                found = self._by_target.get((action_type, resource_key(reference)))
                if found is not None:
                    return found
        return None
