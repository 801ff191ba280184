"""Where completion callbacks may go: checked when a candidate is given one, and again (with
the host resolved) when it is posted."""

import pytest

from testament.domain.errors import InvalidInput
from testament.engine.callbacks import local_address
from testament.services.callbacks import backoff_s, check_callback_url, shown_url


@pytest.mark.parametrize(
    "url",
    ["ftp://ci.example.com/x", "http://[::1/hook", "https://", "http://ci.example.com:99999/", "http://a b/"],
)
def test_a_malformed_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_callback_url("callback.url", url)
    assert refused.value.field == "callback.url"


@pytest.mark.parametrize(
    "url", ["http://localhost:8000/x", "http://127.0.0.1/x", "http://[::1]/x", "http://169.254.169.254/"]
)
def test_this_host_and_link_local_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(InvalidInput):
        check_callback_url("callback.url", url)
    assert check_callback_url("callback.url", url, allow_local=True) == url


def test_private_networks_and_public_hosts_are_allowed() -> None:
    for url in ("http://10.1.2.3/hook", "https://ci.example.com/hook?token=x"):
        assert check_callback_url("callback.url", url) == url


def test_a_name_that_resolves_to_this_host_is_caught_when_posted() -> None:
    assert local_address("http://localhost:9/x") in ("127.0.0.1", "::1")
    assert local_address("http://10.1.2.3/x") is None


def test_retries_back_off_doubling_up_to_five_minutes() -> None:
    assert [backoff_s(n, 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_s(20, 1.0) == 300.0


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://ci:s3cret@ci.example.com:8443/hooks/done?token=abc#frag",
            "https://ci.example.com:8443/hooks/done",
        ),
        ("http://[fd00::7]/done?sig=abc", "http://[fd00::7]/done"),
        ("https://ci.example.com", "https://ci.example.com"),
    ],
)
def test_a_url_is_shown_and_logged_without_user_info_query_or_fragment(url: str, shown: str) -> None:
    assert shown_url(url) == shown
