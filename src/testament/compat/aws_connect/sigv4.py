"""AWS Signature Version 4 verification, server side.

botocore's SigV4Auth recomputes the signature from what arrived: the method, the raw path
and query string, exactly the headers the client says it signed, and the body. The
timestamp is the client's own `X-Amz-Date`; a request more than 15 minutes off is refused.
"""

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from testament.compat.aws_connect.errors import AwsError

__all__ = ["MAX_SKEW", "SignedRequest", "verify"]

MAX_SKEW = timedelta(minutes=15)
SERVICE = "connect"
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;\-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
_TIMESTAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class SignedRequest:
    access_key_id: str
    region: str


def _refuse(code: str, message: str) -> AwsError:
    return AwsError(code, message)


def _parse_time(value: str) -> datetime:
    try:
        return datetime.strptime(value, _TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:
        raise _refuse(
            "IncompleteSignatureException", f"X-Amz-Date {value!r} is not in the form YYYYMMDDTHHMMSSZ"
        ) from None


def verify(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], str],
    now: datetime,
) -> SignedRequest:
    """Check the request's signature; `secret_for(access_key_id)` raises for an unknown key.

    `url` must be the URL as the client sent it: scheme, Host, the raw (still escaped) path
    and the raw query string.
    """
    authorization = headers.get("authorization", "")
    if not authorization:
        raise _refuse("MissingAuthenticationTokenException", "Missing Authentication Token")
    match = _AUTH.match(authorization.strip())
    if match is None:
        raise _refuse(
            "IncompleteSignatureException", "Authorization header is not an AWS4-HMAC-SHA256 signature"
        )
    amz_date = headers.get("x-amz-date", "")
    signed_at = _parse_time(amz_date)
    if abs(now - signed_at) > MAX_SKEW:
        earliest, current = (now - MAX_SKEW).strftime(_TIMESTAMP), now.strftime(_TIMESTAMP)
        message = f"Signature expired: {amz_date} is now earlier than {earliest} ({current} - 15 min.)"
        raise _refuse("InvalidSignatureException", message)
    if match["date"] != amz_date[:8] or match["service"] != SERVICE:
        raise _refuse(
            "InvalidSignatureException", "Credential should be scoped to a valid date and the connect service"
        )
    secret = secret_for(match["key"])
    signed_names = match["headers"].split(";")
    if "host" not in signed_names:
        raise _refuse("InvalidSignatureException", "The host header must be signed")
    missing = [name for name in signed_names if name not in headers]
    if missing:
        raise _refuse(
            "InvalidSignatureException", f"Signed header {missing[0]!r} is missing from the request"
        )
    declared = headers.get("x-amz-content-sha256")
    if declared is not None and declared != hashlib.sha256(body).hexdigest():
        # botocore trusts this header instead of hashing the body; so must we not
        raise _refuse("InvalidSignatureException", "X-Amz-Content-SHA256 does not match the request body")
    request = AWSRequest(method=method, url=url, data=body, headers={n: headers[n] for n in signed_names})
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(match["key"], secret), SERVICE, match["region"])
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, match["signature"]):
        raise _refuse(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return SignedRequest(match["key"], match["region"])
