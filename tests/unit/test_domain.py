"""Test case versions, content validation, roles and cursors."""

from datetime import UTC, datetime

import pytest

from testament.domain.access import Permission, Principal, Role, parse_role
from testament.domain.content import validate_content
from testament.domain.errors import Forbidden, InvalidInput
from testament.domain.model import TestCase, TestCaseStatus, content_sha256
from testament.kit.cursors import CursorCodec, InvalidCursor

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def new_case() -> TestCase:
    return TestCase(
        id="c",
        workspace_id="w",
        kind="noop",
        name="n",
        description="",
        tags={},
        status=TestCaseStatus.SAVED,
        version=0,
        sha256="",
        retries=0,
        created_at=NOW,
        updated_at=NOW,
    )


def test_the_content_hash_ignores_key_order_and_spacing() -> None:
    assert content_sha256({"a": 1, "b": [1, 2]}) == content_sha256({"b": [1, 2], "a": 1})
    assert content_sha256({"a": 1}) != content_sha256({"a": 2})
    assert len(content_sha256({})) == 64


def test_each_content_change_is_a_new_saved_version_and_equal_content_is_none() -> None:
    case = new_case()
    assert case.revise({"note": "a"}, NOW) is not None
    case.publish(NOW)
    assert case.revise({"note": "a"}, NOW) is None
    second = case.revise({"note": "b"}, NOW)
    assert second is not None and second.version == 2
    assert (case.status, case.published_version) == (TestCaseStatus.SAVED, 1)


def test_http_content_problems_name_every_bad_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_content(
            "http",
            {
                "steps": [
                    {"name": "a", "request": {"method": "FETCH", "url": "localhost"}},
                    {"name": "a", "request": {"url": "http://x"}, "expect": {"json": {"$[": 1}}},
                ]
            },
        )
    fields = [p.field for p in refused.value.problems]
    assert "content.steps[0].request.method" in fields
    assert "content.steps[0].request.url" in fields
    assert "content.steps[1].expect.json" in fields


def test_http_content_refuses_duplicate_step_names_and_two_bodies() -> None:
    step = {"name": "same", "request": {"url": "http://x"}}
    with pytest.raises(InvalidInput) as duplicate:
        validate_content("http", {"steps": [step, step]})
    assert duplicate.value.field == "content.steps[1].name"
    with pytest.raises(InvalidInput) as two_bodies:
        validate_content(
            "http", {"steps": [{"name": "s", "request": {"url": "http://x", "json": {}, "body": "b"}}]}
        )
    assert "at most one of json, body, form" in two_bodies.value.rule


def test_operator_specs_are_checked_when_saved() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_content(
            "http",
            {
                "steps": [
                    {
                        "name": "s",
                        "request": {"url": "http://x"},
                        "expect": {"json": {"$.a": {"matches": "("}}},
                    },
                ]
            },
        )
    assert "invalid regular expression" in refused.value.rule


def test_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_content("selenium", {})
    assert refused.value.field == "kind"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.VIEWER, {Permission.READ}),
        (Role.TESTER, {Permission.READ, Permission.WRITE, Permission.EXECUTE}),
        (
            Role.MANAGER,
            {
                Permission.READ,
                Permission.WRITE,
                Permission.EXECUTE,
                Permission.DELETE,
                Permission.RUN_ANY_ASSIGNMENT,
                Permission.READ_DELIVERIES,
            },
        ),
        (Role.ADMIN, set(Permission)),
    ],
)
def test_each_role_has_exactly_its_permissions(role: Role, allowed: set[Permission]) -> None:
    principal = Principal("w", "k", "u", role)
    assert {p for p in Permission if principal.can(p)} == allowed
    for denied in set(Permission) - allowed:
        with pytest.raises(Forbidden):
            principal.require(denied)


def test_roles_parse_case_insensitively_and_refuse_unknown_ones() -> None:
    assert parse_role("Tester") is Role.TESTER
    with pytest.raises(InvalidInput):
        parse_role("root")


def test_a_cursor_is_refused_when_edited_or_used_for_another_listing() -> None:
    codec = CursorCodec("secret")
    token = codec.encode("records:a", 42)
    assert codec.decode("records:a", token) == 42
    with pytest.raises(InvalidCursor):
        codec.decode("records:b", token)
    with pytest.raises(InvalidCursor):
        codec.decode("records:a", token[:-2] + ("A" if token[-1] != "A" else "B") + token[-1])
    with pytest.raises(InvalidCursor):
        CursorCodec("other").decode("records:a", token)


def test_an_id_made_at_a_moment_sorts_between_the_floors_of_that_moment_and_the_next() -> None:
    from datetime import timedelta

    from testament.kit.clock import utcnow
    from testament.kit.ids import id_floor, new_id

    before = utcnow()
    made = new_id()
    after = utcnow() + timedelta(milliseconds=1)
    assert id_floor(before) <= made < id_floor(after)
    assert id_floor(before - timedelta(days=1)) < id_floor(before)
