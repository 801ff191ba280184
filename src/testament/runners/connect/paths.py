"""The contact's data model and `$.` references into it (spec §4.2, §4.4).

`ContactState` holds what a flow reads and writes: system attributes, the working queue,
`$.Attributes` (user-defined), `$.FlowAttributes` (the current flow's), `$.External` (the last
Lambda answer), `$.Lex`, `$.StoredCustomerInput`. `view()` lays it out as the nested document
`$.` paths walk.

- `resolve(view, "$.Queue.Name")` gives a scalar as text, or None when the path is missing or
  names an object or a list (only scalars can be referenced).
- `interpolate(view, "Hi $.Attributes.name.")` replaces each reference in free text; a missing
  value becomes the empty string.
- `value_of(view, v)` is for parameters that are "static or a single JSONPath".

Pitfalls: a reference ends at the last identifier character, so the full stop in
"... $.Queue.Name." is text, not part of the path. Attribute keys may contain dots, so a walk
tries the rest of the path as one key before splitting it. `$.External` keys are case-sensitive,
like everything else here.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "PATH",
    "ContactState",
    "QueueRef",
    "interpolate",
    "is_single_path",
    "resolve",
    "text_of",
    "value_of",
]

PATH = re.compile(r"\$\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_\-]+|\.?\['[^']*'\])*")
_SEGMENT = re.compile(r"\.?\['([^']*)'\]|\.([A-Za-z0-9_\-]+)")
RESULT_KEYS = ("External", "LambdaInvocation", "Lex", "AgenticCX")


@dataclass(frozen=True)
class QueueRef:
    """The contact's working queue (`$.Queue`)."""

    id: str
    name: str
    arn: str
    reference: str  # as the flow named it: an id or an ARN
    hours_id: str | None = None


@dataclass
class ContactState:
    contact_id: str
    channel: str  # VOICE | CHAT
    instance_arn: str
    customer_address: str = ""
    system_address: str = ""
    language_code: str = "en-US"
    voice_id: str = "Joanna"
    name: str = ""
    description: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    flow_attributes: dict[str, str] = field(default_factory=dict)
    external: dict[str, Any] = field(default_factory=dict)
    lex: dict[str, Any] = field(default_factory=dict)
    stored_input: str | None = None
    queue: QueueRef | None = None
    queued: bool = False

    def results(self) -> dict[str, Any]:
        """The action results an Assert may read once a FlowActionCompleted observation matched."""
        return {
            "External": dict(self.external),
            "LambdaInvocation": {"ResultData": dict(self.external)},
            "Lex": dict(self.lex),
        }

    def view(self, results: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `$.` document. `results` replaces the action results (see `results`) when given."""
        endpoint_type = "TELEPHONE_NUMBER" if self.channel == "VOICE" else "CONNECT_CHAT"
        document: dict[str, Any] = {
            "ContactId": self.contact_id,
            "InitialContactId": self.contact_id,
            "PreviousContactId": self.contact_id,
            "Channel": self.channel,
            "InstanceARN": self.instance_arn,
            "InitiationMethod": "INBOUND" if self.channel == "VOICE" else "API",
            "CustomerEndpoint": {"Address": self.customer_address, "Type": endpoint_type},
            "SystemEndpoint": {"Address": self.system_address, "Type": endpoint_type},
            "LanguageCode": self.language_code,
            "TextToSpeechVoiceId": self.voice_id,
            "Name": self.name,
            "Description": self.description,
            "Attributes": dict(self.attributes),
            "FlowAttributes": dict(self.flow_attributes),
            "StoredCustomerInput": self.stored_input,
            **(self.results() if results is None else {k: results.get(k) for k in RESULT_KEYS}),
        }
        if self.queue is not None:
            document["Queue"] = {"Name": self.queue.name, "ARN": self.queue.arn, "Id": self.queue.id}
        return document


def text_of(value: Any) -> str | None:
    """A scalar as Connect shows it in text; None for objects, lists and null."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _segments(path: str) -> list[str]:
    found = _SEGMENT.finditer(path[1:])
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in found]


def resolve(view: dict[str, Any], path: str) -> str | None:
    if not is_single_path(path):
        return None
    node: Any = view
    parts = _segments(path.strip())
    i = 0
    while i < len(parts):
        if not isinstance(node, dict):
            return None
        rest = ".".join(parts[i:])
        if i > 0 and len(parts) - i > 1 and rest in node:  # a key with dots in it
            node, i = node[rest], len(parts)
            break
        if parts[i] not in node:
            return None
        node, i = node[parts[i]], i + 1
    return text_of(node)


def is_single_path(value: Any) -> bool:
    return isinstance(value, str) and PATH.fullmatch(value.strip()) is not None


def interpolate(view: dict[str, Any], text: str) -> str:
    return PATH.sub(lambda match: resolve(view, match.group(0)) or "", text)


def value_of(view: dict[str, Any], value: Any) -> str | None:
    """A "static or single JSONPath" parameter: the path's value, or the static text."""
    if is_single_path(value):
        return resolve(view, str(value))
    return text_of(value)
