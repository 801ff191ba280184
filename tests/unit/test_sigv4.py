"""Our SigV4 verification agrees with botocore's own signing, and refuses what AWS refuses."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from testament.compat.aws_connect.errors import AwsError
from testament.compat.aws_connect.sigv4 import verify

KEY, SECRET = "AKTSEXAMPLE000000000", "secret/with+chars"


def signed(method: str, url: str, body: bytes = b"", secret: str = SECRET) -> tuple[dict[str, str], datetime]:
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(KEY, secret), "connect", "eu-west-2").add_auth(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = url.split("/")[2]
    signed_at = datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return headers, signed_at


def secret_for(key: str) -> str:
    if key != KEY:
        raise AwsError(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    return SECRET


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/aws/connect/test-cases/abc",
        "http://127.0.0.1:8000/aws/connect/test-case-executions/abc?maxResults=2&nextToken=a%2Bb%3D%3D",
        "http://127.0.0.1:8000/aws/connect/test-cases/arn%3Aaws%3Aconnect%3Aus-east-1%3A1%3Ainstance%2Fx/id",
    ],
)
def test_a_request_botocore_signed_is_accepted(url: str) -> None:
    body = b'{"Name": "n\xc3\xa9"}'
    headers, at = signed("PUT", url, body)
    result = verify("PUT", url, headers, body, secret_for, at + timedelta(seconds=3))
    assert (result.access_key_id, result.region) == (KEY, "eu-west-2")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("body", "InvalidSignatureException"),
        ("path", "InvalidSignatureException"),
        ("secret", "InvalidSignatureException"),
        ("stale", "InvalidSignatureException"),
        ("unknown key", "UnrecognizedClientException"),
        ("no auth", "MissingAuthenticationTokenException"),
    ],
)
def test_a_request_that_was_tampered_with_or_is_stale_is_refused(change: str, code: str) -> None:
    url = "http://127.0.0.1:8000/aws/connect/test-cases/abc"
    headers, at = signed("POST", url, b"{}", secret="other" if change == "secret" else SECRET)
    body, now = b"{}", at
    if change == "body":
        body = b'{"x": 1}'
    if change == "path":
        url += "x"
    if change == "stale":
        now = at + timedelta(minutes=16)
    if change == "unknown key":
        headers["authorization"] = headers["authorization"].replace(KEY, "AKTSNOBODY0000000000")
    if change == "no auth":
        del headers["authorization"]
    with pytest.raises(AwsError) as refused:
        verify("POST", url, headers, body, secret_for, now)
    assert refused.value.code == code
    if change == "stale":
        assert refused.value.message.startswith("Signature expired")


@pytest.mark.parametrize("declared", ["UNSIGNED-PAYLOAD", "original"])
def test_a_declared_payload_hash_must_match_the_body_that_arrived(declared: str) -> None:
    url = "http://127.0.0.1:8000/aws/connect/test-cases/abc"
    original = b'{"Name": "original"}'
    request = AWSRequest(method="PUT", url=url, data=original, headers={"Content-Type": "application/json"})
    request.headers["X-Amz-Content-SHA256"] = (
        hashlib.sha256(original).hexdigest() if declared == "original" else declared
    )
    SigV4Auth(Credentials(KEY, SECRET), "connect", "eu-west-2").add_auth(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = "127.0.0.1:8000"
    at = datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    with pytest.raises(AwsError) as refused:
        verify("PUT", url, headers, b'{"Name": "EVIL"}', secret_for, at)
    assert refused.value.code == "InvalidSignatureException"
