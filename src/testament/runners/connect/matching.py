"""How an expected message matches a message the flow sent (Testing language `MatchingCriteria`).

The service matches `Similarity` semantically; offline we need something deterministic (spec §2.4,
[OURS]): both sides are normalized (SSML tags stripped, entities unescaped, casefolded,
whitespace collapsed, trailing punctuation dropped), then

- Inclusion: the expected text is a substring of the actual text;
- Similarity: equal, or the expected text appears in the actual one as whole words (the voice
  channel splits and joins prompts at pauses), or a difflib ratio (over characters, or over
  sorted words) reaches the threshold (0.8 by default).

PromptId matches by id or by an ARN whose last segment is that id.

Pitfall: never call `similar` with an empty expected text; it would match everything by inclusion.
"""

import html
import re
from difflib import SequenceMatcher
from typing import Any

from testament.runners.connect.overrides import resource_key

__all__ = ["DEFAULT_THRESHOLD", "message_matches", "normalize", "similarity", "strip_ssml"]

DEFAULT_THRESHOLD = 0.8
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.!?,;:…]+$")


def strip_ssml(text: str) -> str:
    """The words an SSML document speaks (tags removed, entities decoded)."""
    return html.unescape(_TAG.sub(" ", text))


def normalize(text: str) -> str:
    flat = _SPACE.sub(" ", strip_ssml(text)).strip().casefold()
    return _TRAILING.sub("", flat)


def similarity(expected: str, actual: str) -> float:
    """A deterministic score in [0, 1]; 1.0 when equal after normalization."""
    left, right = normalize(expected), normalize(actual)
    if left == right:
        return 1.0
    if not left or not right:
        return 0.0
    chars = SequenceMatcher(None, left, right, autojunk=False).ratio()
    words = SequenceMatcher(None, sorted(left.split()), sorted(right.split()), autojunk=False).ratio()
    return max(chars, words)


def _contains_words(expected: str, actual: str) -> bool:
    return bool(expected) and re.search(rf"(?<!\w){re.escape(expected)}(?!\w)", actual) is not None


def similar(expected: str, actual: str, threshold: float) -> bool:
    left, right = normalize(expected), normalize(actual)
    return bool(left) and (_contains_words(left, right) or similarity(left, right) >= threshold)


def included(expected: str, actual: str) -> bool:
    left = normalize(expected)
    return bool(left) and left in normalize(actual)


def message_matches(
    expected: dict[str, Any], criteria: str, actual: dict[str, Any], threshold: float = DEFAULT_THRESHOLD
) -> bool:
    """Whether a MessageReceived observation's Properties match the properties of a sent message."""
    if "PromptId" in expected:
        prompt = actual.get("PromptId")
        return prompt is not None and resource_key(str(prompt)) == resource_key(str(expected["PromptId"]))
    wanted = expected.get("Text", expected.get("SSML"))
    heard = actual.get("Text")
    if not isinstance(wanted, str) or not isinstance(heard, str):
        return False
    if criteria == "Inclusion":
        return included(wanted, heard)
    return similar(wanted, heard, threshold)
