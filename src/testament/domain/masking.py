"""Hiding secret values in whatever is kept or shown: records, failure text, reasons, artifacts, logs.

The engine (a runner's crash) and every runner mask with `Masker`, so there is one rule:

- Every non-empty value of a secret variable is replaced by MASK.
- Not only the value as given, but as a runner may have sent it and a target echoed it back:
  percent-encoded (in a URL, either hex case), form-encoded (a space as `+`) and JSON- or
  Python-escaped (`\\"`, `\\\\`, `\\/`, `\\u00f6`, ...), in any mixture, character by character.
  One pattern per secret matches all of these at once.
- Whole tokens a runner derived from a secret (the base64 of `user:password` it put in a Basic
  `Authorization` header) are given as `derived` values and masked as they are.

Pitfall: a longer secret is tried first, so a secret inside another one is hidden whole.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["MASK", "SEALED", "Masker", "as_text", "is_sealed", "shown"]

MASK = "***"
SEALED = "$secret"
"""The key of a value kept encrypted (`{"$secret": token}`) until a worker hands it to a runner."""

# JSON's and Python's short escapes: the escaped character after a backslash.
_SHORT_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "'": "'",
    "\n": "n",
    "\t": "t",
    "\r": "r",
    "\b": "b",
    "\f": "f",
}


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {SEALED}


def shown(variables: dict[str, Any]) -> dict[str, Any]:
    """Variables as a surface shows them: an encrypted one is MASK, never its value or token."""
    return {name: MASK if is_sealed(value) else value for name, value in variables.items()}


def as_text(value: Any) -> str:
    """A variable's value as a runner puts it into text: a string as is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


@dataclass(frozen=True)
class Masker:
    """Replaces secret values, in every encoding above, with MASK."""

    names: frozenset[str]
    pattern: re.Pattern[str] | None

    @classmethod
    def of(
        cls, secret_names: Iterable[str], variables: dict[str, Any], derived: Iterable[str] = ()
    ) -> "Masker":
        """Mask the values the `variables` hold under `secret_names`, and the `derived` tokens."""
        names = frozenset(secret_names)
        values = {as_text(variables[n]) for n in names if variables.get(n) is not None}
        patterns = [_any_encoding(v) for v in sorted(values, key=len, reverse=True) if v]
        patterns += [re.escape(token) for token in sorted(set(derived), key=len, reverse=True) if token]
        return cls(names, re.compile("|".join(patterns)) if patterns else None)

    def text(self, text: str) -> str:
        return text if self.pattern is None else self.pattern.sub(MASK, text)

    def value(self, value: Any) -> Any:
        """Mask every string in a JSON-like value (keys included)."""
        if self.pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.text(str(key)): self.value(item) for key, item in value.items()}
        return value


def _any_encoding(secret: str) -> str:
    return "".join(_one_character(c) for c in secret)


def _one_character(c: str) -> str:
    """A pattern for one character of a secret, as written, percent-encoded or escaped. The
    escaped forms come first: alternatives are tried in order, and a backslash written as is
    would otherwise match the first half of an escaped one."""
    forms = ["".join(rf"\\+(?i:u{unit:04x})" for unit in _utf16_units(c))]
    if ord(c) < 0x100:
        forms.append(rf"\\+(?i:x{ord(c):02x})")
    if c in _SHORT_ESCAPES:
        forms.append(r"\\+" + re.escape(_SHORT_ESCAPES[c]))  # escaped once or more (JSON inside JSON)
    forms.append("".join(f"%(?i:{byte:02x})" for byte in c.encode()))
    if c == " ":
        forms.append(r"\+")  # a form encodes a space as +
    if c == "+":
        forms.append(" ")  # and so a form reader decodes a + sent unencoded (in a URL) as a space
    forms.append(re.escape(c))
    return "(?:" + "|".join(forms) + ")"


def _utf16_units(c: str) -> list[int]:
    data = c.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
