"""One masking rule for the engine and every runner: a secret is hidden in every encoding a
runner sends it in and a target may echo it back in."""

import base64
import json
from urllib.parse import quote, quote_plus

import httpx
import pytest

from testament.domain.masking import MASK, Masker

SECRET = 'p"a&s+s/ wörd😀\\'
masker = Masker.of(["password"], {"password": SECRET, "user": "alice"})

ENCODINGS = {
    "as given": SECRET,
    "JSON, ASCII only": json.dumps(SECRET),
    "JSON, UTF-8": json.dumps(SECRET, ensure_ascii=False),
    "JSON inside JSON": json.dumps(json.dumps({"password": SECRET})),
    "Python repr": repr(SECRET),
    "percent-encoded": quote(SECRET, safe=""),
    "percent-encoded, lower-case hex": quote(SECRET, safe="").lower(),
    "form-encoded": quote_plus(SECRET, safe=""),
    "in a URL as httpx sends it": str(httpx.URL(f"http://h/p?q={SECRET}")),
    "in a query httpx encodes": str(httpx.URL("http://h/p", params={"q": SECRET})),
    "in a form httpx encodes": httpx.Request("POST", "http://h", data={"q": SECRET}).content.decode(),
    "in a JSON body httpx encodes": httpx.Request("POST", "http://h", json={"q": SECRET}).content.decode(),
}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_secret_is_masked_in_every_encoding_a_runner_sends_it_in(encoding: str) -> None:
    text = f"before {ENCODINGS[encoding]} after"

    masked = masker.text(text)

    assert MASK in masked and masked.startswith("before ") and masked.endswith(" after"), masked
    assert "wörd" not in masked and "w%C3%B6rd" not in masked and "w\\u00f6rd" not in masked, masked


def test_a_derived_token_such_as_basic_credentials_is_masked_as_it_is() -> None:
    token = base64.b64encode(f"alice:{SECRET}".encode()).decode()

    masked = Masker.of(["password"], {"password": SECRET}, derived=[token]).text(f"Basic {token}")

    assert masked == f"Basic {MASK}"


def test_text_without_a_secret_and_values_that_are_not_secret_are_left_alone() -> None:
    assert masker.text("alice sent p and a and s") == "alice sent p and a and s"
    assert Masker.of([], {"password": SECRET}).text(SECRET) == SECRET


def test_a_longer_secret_is_masked_whole_when_a_shorter_one_is_inside_it() -> None:
    both = Masker.of(["short", "long"], {"short": "abc", "long": "xxabcxx"})

    assert both.text("xxabcxx and abc") == f"{MASK} and {MASK}"


def test_masking_a_value_masks_every_string_in_it_keys_included() -> None:
    value = {"url": f"http://h/?q={quote(SECRET)}", SECRET: [1, json.dumps(SECRET), None]}

    assert masker.value(value) == {"url": f"http://h/?q={MASK}", MASK: [1, f'"{MASK}"', None]}
