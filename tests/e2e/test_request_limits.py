"""What fuzzing found, kept as regression tests: bad input on every surface is answered in that
surface's own error shape, never with a 5xx. Request bodies have a size limit (1 MiB; files
more) and a JSON nesting limit (64 levels), paging parameters are bounded, renaming to a taken
name is a conflict, and text that cannot be stored (a lone surrogate) is refused."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from testament.domain.access import Role
from testament.kit.raw_json import MAX_JSON_DEPTH
from testament.kit.request_limits import JSON_BODY_BYTES
from testament.services import plans, run_configs
from tests.conftest import LiveServer, Workspace
from tests.e2e.test_api_test_cases import unique

REGION = "eu-west-2"
DEEP = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
JUST_DEEP_ENOUGH = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
THOUSAND_DEEP = "[" * 1000 + "]" * 1000


# ------------------------------------------------------------------------ each surface, its shape


def problem_json(response: httpx.Response) -> bool:
    body = response.json()
    return response.headers["content-type"].startswith("application/problem+json") and {
        "title",
        "status",
        "detail",
    } <= set(body)


def is_testsigma_error(response: httpx.Response) -> bool:
    return set(response.json()) == {"timeStamp", "error", "code", "fieldErrors", "objectErrors"}


def enterprise_tester_shape(response: httpx.Response) -> bool:
    return set(response.json()) == {"Message"}


def is_testinvite_error(response: httpx.Response) -> bool:
    body = response.json()
    return set(body) == {"error"} and set(body["error"]) == {"code", "message"}


def aws_shape(response: httpx.Response) -> bool:
    return "x-amzn-errortype" in response.headers and "Message" in response.json()


@dataclass(frozen=True)
class Surface:
    name: str
    send: Callable[..., httpx.Response]  # (method, path, content=bytes, headers=...) -> response
    shape: Callable[[httpx.Response], bool]
    post_path: str  # a path that takes a JSON body
    bad_request: int  # the status of a body that cannot be parsed


@pytest.fixture
def surfaces(live: LiveServer, workspace: Workspace) -> Iterator[dict[str, Surface]]:
    token = workspace.keys[Role.ADMIN].token
    bearer = {"Authorization": f"Bearer {token}"}
    key = workspace.keys[Role.ADMIN]
    with httpx.Client(base_url=live.url, headers=bearer, timeout=60) as client:

        def plain(prefix: str) -> Callable[..., httpx.Response]:
            def send(method: str, path: str, **kw: Any) -> httpx.Response:
                return client.request(method, prefix + path, **kw)

            return send

        def aws(
            method: str, path: str, content: bytes = b"", headers: dict[str, str] | None = None
        ) -> httpx.Response:
            url = f"{live.url}/aws/connect{path}"
            sent = {"Content-Type": "application/json", **(headers or {})}
            request = AWSRequest(method=method, url=url, data=content, headers=sent)
            SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), "connect", REGION).add_auth(
                request
            )
            return httpx.request(method, url, content=content, headers=dict(request.headers), timeout=60)

        yield {
            "native": Surface("native", plain("/api/v1"), problem_json, "/environments", 400),
            "testsigma": Surface(
                "testsigma", plain("/testsigma/api/v1"), is_testsigma_error, "/environments", 400
            ),
            "enterprise_tester": Surface(
                "enterprise_tester", plain("/enterprise-tester/api"), enterprise_tester_shape, "/scripts", 400
            ),
            "testinvite": Surface(
                "testinvite",
                plain("/testinvite/api/integration/rest/v1"),
                is_testinvite_error,
                "/tasks/no-such-task/candidates",
                400,
            ),
            "aws": Surface("aws", aws, aws_shape, f"/test-cases/{workspace.id}", 400),
        }


SURFACES = ["native", "testsigma", "enterprise_tester", "testinvite", "aws"]


# ------------------------------------------------------------------------ body size


@pytest.mark.parametrize("name", SURFACES)
def test_a_json_body_over_one_mebibyte_is_a_413_in_the_surfaces_own_shape(
    surfaces: dict[str, Surface], name: str
) -> None:
    surface = surfaces[name]
    huge = json.dumps({"name": "x", "buildNo": "9" * JSON_BODY_BYTES}).encode()

    refused = surface.send(
        "POST", surface.post_path, content=huge, headers={"Content-Type": "application/json"}
    )

    assert refused.status_code == 413, refused.text
    assert surface.shape(refused), refused.text
    assert "1 MiB" in refused.text


def test_a_chunked_body_without_a_length_is_measured_as_it_arrives(surfaces: dict[str, Surface]) -> None:
    surface = surfaces["testsigma"]

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    refused = surface.send(
        "POST", "/execution_results", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert refused.status_code == 413 and is_testsigma_error(refused)


def test_a_testsigma_build_number_of_ten_megabytes_is_not_stored(surfaces: dict[str, Surface]) -> None:
    refused = surfaces["testsigma"].send(
        "POST",
        "/execution_results",
        content=json.dumps({"executionId": 1, "buildNo": "1" * 10_000_000}).encode(),
        headers={"Content-Type": "application/json"},
    )

    assert refused.status_code == 413 and is_testsigma_error(refused)


def test_an_upload_version_may_be_larger_than_the_json_limit(api: httpx.Client) -> None:
    upload = api.post("/uploads", json={"name": unique("app")}).json()
    package = b"\x00\x01" * JSON_BODY_BYTES  # 2 MiB

    added = api.post(
        f"/uploads/{upload['id']}/versions",
        params={"name": "1.0.0"},
        content=package,
        headers={"Content-Type": "application/octet-stream"},
    )

    assert added.status_code == 201, added.text
    assert added.json()["size"] == len(package)


# ------------------------------------------------------------------------ nesting


@pytest.mark.parametrize("name", SURFACES)
def test_json_nested_deeper_than_64_levels_is_the_surfaces_bad_request(
    surfaces: dict[str, Surface], name: str
) -> None:
    surface = surfaces[name]
    for deep in (DEEP, '{"name": "x", "variables": ' + THOUSAND_DEEP + "}"):
        refused = surface.send(
            "POST", surface.post_path, content=deep.encode(), headers={"Content-Type": "application/json"}
        )

        assert refused.status_code == surface.bad_request, refused.text
        assert surface.shape(refused), refused.text
        assert "64 levels" in refused.text


def test_nesting_up_to_the_limit_reaches_the_route(surfaces: dict[str, Surface]) -> None:
    surface = surfaces["native"]
    body = json.dumps({"name": unique("env"), "variables": {"v": json.loads(JUST_DEEP_ENOUGH[2:-2])}})

    answered = surface.send(
        "POST", "/environments", content=body.encode(), headers={"Content-Type": "application/json"}
    )

    assert "64 levels" not in answered.text  # the route judged it, whatever it thinks of it
    assert answered.status_code < 500


def connect_test_case(content: str, status: str = "PUBLISHED") -> dict[str, Any]:
    return {
        "Name": unique("deep"),
        "Content": content,
        "Status": status,
        "EntryPoint": {"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": {"FlowId": "main-flow"}},
    }


def test_a_connect_content_string_nested_too_deeply_is_an_invalid_test_case(
    surfaces: dict[str, Surface], workspace: Workspace
) -> None:
    aws = surfaces["aws"]
    content = '{"Version": "2019-10-30", "Observations": ' + THOUSAND_DEEP + "}"

    refused = aws.send(
        "PUT", f"/test-cases/{workspace.id}", content=json.dumps(connect_test_case(content)).encode()
    )
    flow = aws.send(
        "PUT",
        f"/contact-flows/{workspace.id}",
        content=json.dumps({"Name": unique("flow"), "Type": "CONTACT_FLOW", "Content": DEEP}).encode(),
    )

    assert refused.status_code == 400 and aws_shape(refused), refused.text
    assert refused.headers["x-amzn-errortype"] == "InvalidTestCaseException"
    assert "nested deeper than 64 levels" in refused.text
    assert flow.status_code == 400 and flow.headers["x-amzn-errortype"] == "InvalidContactFlowException"
    assert "nested deeper than 64 levels" in flow.text


# ------------------------------------------------------------------------ text that is not text


@pytest.mark.parametrize("name", SURFACES)
def test_a_lone_surrogate_in_a_name_is_the_surfaces_bad_request(
    surfaces: dict[str, Surface], name: str
) -> None:
    surface = surfaces[name]
    body = b'{"name": "\\ud800", "Name": "\\ud800", "kind": "temporary-candidate", "externalId": "\\udc00x"}'

    refused = surface.send(
        "POST", surface.post_path, content=body, headers={"Content-Type": "application/json"}
    )

    assert refused.status_code == surface.bad_request, refused.text
    assert surface.shape(refused)
    assert "lone surrogate" in refused.text


def test_a_surrogate_pair_is_text_like_any_other(api: httpx.Client) -> None:
    name = unique("env \U0001f600")
    made = api.post(
        "/environments",
        content=json.dumps({"name": name, "variables": {}}).encode(),  # escaped as \ud83d\ude00
        headers={"Content-Type": "application/json"},
    )

    assert made.status_code == 201, made.text
    assert made.json()["name"] == name


def test_testsigma_answers_a_body_that_is_not_json_in_its_shape(surfaces: dict[str, Surface]) -> None:
    refused = surfaces["testsigma"].send(
        "POST", "/environments", content=b"hello \xff", headers={"Content-Type": "text/plain"}
    )

    assert refused.status_code == 400 and is_testsigma_error(refused), refused.text
    assert refused.json()["fieldErrors"][0]["field"] == "body"


# ------------------------------------------------------------------------ paging parameters


HUGE = "9223372036854775808"  # 2**63: one more than a database's largest integer


@pytest.mark.parametrize(
    ("name", "path", "parameter"),
    [
        ("native", f"/tasks?offset={HUGE}", "offset"),
        ("native", f"/tasks?limit={HUGE}", "limit"),
        ("native", f"/test-cases?limit={HUGE}", "limit"),
        ("native", f"/executions/x/records?after_seq={HUGE}", "after_seq"),
        ("testsigma", f"/execution_results?page={HUGE}", "page"),
        ("testsigma", f"/test_plans?size={HUGE}", "size"),
        ("testsigma", f"/environments?page={HUGE}", "page"),
        ("enterprise_tester", f"/scripts?$top={HUGE}", "$top"),
        ("enterprise_tester", f"/scripts?$skip={HUGE}", "$skip"),
        ("enterprise_tester", f"/scripts?$take={HUGE}", "$take"),
        ("testinvite", f"/tasks?page={HUGE}", "page"),
        ("testinvite", f"/tasks?limit={HUGE}", "limit"),
        ("aws", "/test-cases-summary/{workspace}?maxResults=" + HUGE, "maxResults"),
        ("aws", "/contact-flows-summary/{workspace}?maxResults=" + HUGE, "maxResults"),
    ],
)
def test_a_paging_parameter_out_of_range_is_the_surfaces_400_naming_it(
    surfaces: dict[str, Surface], workspace: Workspace, name: str, path: str, parameter: str
) -> None:
    surface = surfaces[name]

    refused = surface.send("GET", path.replace("{workspace}", workspace.id))

    assert refused.status_code in (400, 422), refused.text
    assert surface.shape(refused), refused.text
    assert parameter.lstrip("$").lower() in refused.text.lower()


# ------------------------------------------------------------------------ renames


def test_renaming_to_a_name_another_one_holds_is_a_409_for_every_named_kind(api: httpx.Client) -> None:
    case = api.post(
        "/test-cases",
        json={
            "kind": "manual",
            "name": unique("m"),
            "publish": True,
            "content": {"steps": [{"description": "a"}]},
        },
    ).json()["id"]
    bodies = {
        "environments": {"variables": {}},
        "suites": {"test_case_ids": [case]},
        "resources/connect.queue": {"body": {}},
    }
    for path, body in bodies.items():
        first = api.post(f"/{path}", json={"name": unique("a"), **body}).json()
        second = api.post(f"/{path}", json={"name": unique("b"), **body}).json()

        renamed = api.patch(f"/{path}/{second['id']}", json={"name": first["name"], **body})

        assert renamed.status_code == 409, (path, renamed.text)
        assert renamed.json()["code"] == "Conflict" and first["name"] in renamed.json()["detail"]
    suite = api.get("/suites").json()["items"][0]["id"]
    plans = [api.post("/plans", json={"name": unique("p"), "suite_ids": [suite]}).json() for _ in range(2)]

    renamed = api.patch(f"/plans/{plans[1]['id']}", json={"name": plans[0]["name"], "suite_ids": [suite]})

    assert renamed.status_code == 409 and plans[0]["name"] in renamed.json()["detail"]


def test_renaming_a_run_configuration_to_a_taken_name_is_a_conflict(
    api: httpx.Client, live: LiveServer, workspace: Workspace
) -> None:
    from testament.domain.errors import Conflict

    suite = api.post("/suites", json={"name": unique("s"), "test_case_ids": []}).json()["id"]
    plan = api.post("/plans", json={"name": unique("p"), "suite_ids": [suite]}).json()["id"]
    principal = workspace.principal(live.ctx)
    made = [
        run_configs.create_run_config(
            live.ctx, principal, plan_id=plan, name=unique("c"), condition="INCLUDED", filters=[]
        )
        for _ in range(2)
    ]

    with pytest.raises(Conflict, match=made[0].name):
        run_configs.update_run_config(
            live.ctx, principal, made[1].id, condition="INCLUDED", filters=[], name=made[0].name
        )
    assert plans.get_plan(live.ctx, principal, plan).id == plan  # the store still answers


# ------------------------------------------------------------------------ the sweep


BAD_BODIES: list[tuple[str, bytes, str]] = [
    ("not JSON", b"{", "application/json"),
    ("plain text", b"hello", "text/plain"),
    ("invalid UTF-8", b'{"name": "\xff\xfe"}', "application/json"),
    ("a JSON array", b"[1, 2]", "application/json"),
    ("a JSON string", b'"name"', "application/json"),
    ("null", b"null", "application/json"),
    ("a huge number", b'{"name": 1e999999, "executionId": 99999999999999999999999}', "application/json"),
    ("wrong types", b'{"name": ["x"], "Name": {"a": 1}, "variables": 5, "kind": 3}', "application/json"),
    ("NUL", b'{"name": "a\\u0000b", "Name": "a\\u0000b"}', "application/json"),
    ("a lone surrogate", b'{"name": "\\udfff"}', "application/json"),
    ("deep", DEEP.encode(), "application/json"),
    ("a form", b"name=x&variables=y", "application/x-www-form-urlencoded"),
    ("empty", b"", "application/json"),
]

WRITES = {
    "native": [("POST", "/environments"), ("POST", "/suites"), ("POST", "/test-cases"), ("POST", "/tasks")],
    "testsigma": [("POST", "/environments"), ("POST", "/execution_results"), ("PUT", "/environments/1")],
    "enterprise_tester": [("POST", "/scripts"), ("POST", "/scriptrun")],
    "testinvite": [("POST", "/tasks/t/candidates"), ("POST", "/tasks/t/test-instances/filter")],
    "aws": [("PUT", "/test-cases/{workspace}"), ("PUT", "/contact-flows/{workspace}")],
}


@pytest.mark.parametrize("name", SURFACES)
def test_bad_bodies_on_every_surface_are_its_own_errors_never_a_5xx(
    surfaces: dict[str, Surface], workspace: Workspace, name: str
) -> None:
    surface = surfaces[name]
    answers = []
    for method, path in WRITES[name]:
        for what, body, media_type in BAD_BODIES:
            answered = surface.send(
                method,
                path.replace("{workspace}", workspace.id),
                content=body,
                headers={"Content-Type": media_type},
            )
            answers.append(
                (what, method, path, answered.status_code, surface.shape(answered), answered.text[:200])
            )

    # some are fine on one database (SQLite stores a NUL, PostgreSQL cannot): a refusal or a success
    assert [a for a in answers if a[3] >= 500 or (a[3] >= 400 and not a[4])] == []
    assert sum(400 <= a[3] < 500 for a in answers) >= len(answers) - len(WRITES[name])
