"""Amazon Connect's SearchCriteria and TagFilter compiled into the one filter tree and run by
the database (SQLite, or PostgreSQL with TESTAMENT_TEST_DATABASE_URL): each operator, and/or,
tags, and name prefixes at the edges of the code point range."""

from typing import Any

import pytest

from testament.compat.aws_connect import translate
from testament.compat.aws_connect.schemas import TagFilterWire, TestCaseSearchCriteria
from testament.domain.filters import all_of
from testament.services import test_cases as tc
from testament.services.test_cases import search
from tests.integration.conftest import Engine

CASES: dict[str, tuple[str, dict[str, str], bool]] = {  # name: (description, tags, published)
    "Billing main": ("pays the bill", {"team": "billing", "tier": "gold"}, True),
    "billing draft": ("Drafted BILL flow", {"team": "billing"}, False),
    "support": ("", {"team": "support", "owner": "gold"}, False),
    "späti 100%": ("ümlaut_and wildcards", {}, False),
    "zebra\U0010ffff": ("", {"tier": "silver"}, False),
}


@pytest.fixture
def engine(make_engine: Any) -> Engine:
    engine: Engine = make_engine()
    for name, (description, tags, published) in CASES.items():
        tc.create_test_case(
            engine.ctx,
            engine.principal,
            kind="connect",
            name=name,
            content={"Content": "{}"},
            description=description,
            tags=tags,
        )
        if published:  # publishing needs a runnable content; the status is what is searched
            _publish_as_is(engine, name)
    return engine


def _publish_as_is(engine: Engine, name: str) -> None:
    from testament.domain.model import TestCase, TestCaseStatus

    with engine.ctx.uow() as uow:
        case = (
            uow.session.query(TestCase).filter_by(name=name, workspace_id=engine.principal.workspace_id).one()
        )
        case.status = TestCaseStatus.PUBLISHED
        uow.commit()


def found(
    engine: Engine, criteria: dict[str, Any] | None = None, tags: dict[str, Any] | None = None
) -> list[str]:
    where = all_of(
        translate.criteria_filter(TestCaseSearchCriteria.model_validate(criteria) if criteria else None),
        translate.tag_filter(TagFilterWire.model_validate(tags) if tags else None),
    )
    page = search.search_test_cases(engine.ctx, engine.principal, kind="connect", where=where, limit=100)
    assert page.total == len(page.views) and not page.more
    return sorted(v.test_case.name for v in page.views)


def string(value: str, comparison: str | None = None, field: str | None = "name") -> dict[str, Any]:
    condition = {"FieldName": field, "Value": value, "ComparisonType": comparison}
    return {"StringCondition": {k: v for k, v in condition.items() if v is not None}}


def test_no_criteria_finds_every_case_of_the_kind(engine: Engine) -> None:
    assert found(engine) == sorted(CASES)


def test_exact_and_starts_with_are_case_sensitive(engine: Engine) -> None:
    assert found(engine, string("support", "EXACT")) == ["support"]
    assert found(engine, string("Support", "EXACT")) == []
    assert found(engine, string("billing", "STARTS_WITH")) == ["billing draft"]
    assert found(engine, string("Billing", "STARTS_WITH")) == ["Billing main"]


def test_contains_and_no_comparison_ignore_case(engine: Engine) -> None:
    assert found(engine, string("BILLING", "CONTAINS")) == ["Billing main", "billing draft"]
    assert found(engine, string("bill", None, field="description")) == ["Billing main", "billing draft"]


def test_wildcard_characters_are_plain_text(engine: Engine) -> None:
    assert found(engine, string("0%", "CONTAINS")) == ["späti 100%"]
    assert found(engine, string("_and", "CONTAINS", field="description")) == ["späti 100%"]
    assert found(engine, string("%", "STARTS_WITH")) == []


def test_starts_with_at_the_edges_of_the_code_point_range(engine: Engine) -> None:
    assert found(engine, string("spä", "STARTS_WITH")) == ["späti 100%"]
    assert found(engine, string("zebra\U0010ffff", "STARTS_WITH")) == ["zebra\U0010ffff"]
    assert found(engine, string("zebra", "STARTS_WITH")) == ["zebra\U0010ffff"]
    assert found(engine, string("", "STARTS_WITH")) == sorted(CASES)


def test_fields_id_status_and_an_unknown_field(engine: Engine) -> None:
    some_id = tc.find_test_case_id(engine.ctx, engine.principal, "support")
    assert found(engine, string(some_id, "EXACT", field="Id")) == ["support"]
    assert found(engine, string("PUBLISHED", "EXACT", field="status")) == ["Billing main"]
    assert found(engine, string("x", "EXACT", field="colour")) == []
    assert found(engine, string("", "EXACT", field="colour")) == sorted(CASES)


def test_status_and_or_conditions(engine: Engine) -> None:
    assert found(engine, {"StatusCondition": "PUBLISHED"}) == ["Billing main"]
    assert found(engine, {"StatusCondition": "SAVED", **string("billing", "CONTAINS")}) == ["billing draft"]
    both = {"AndConditions": [string("b", "CONTAINS"), string("draft", "CONTAINS")]}
    assert found(engine, both) == ["billing draft"]
    either = {"OrConditions": [string("support", "EXACT"), {"StatusCondition": "PUBLISHED"}]}
    assert found(engine, either) == ["Billing main", "support"]
    nested = {"OrConditions": [{"AndConditions": [string("s", "STARTS_WITH"), string("100", "CONTAINS")]}]}
    assert found(engine, nested) == ["späti 100%"]


def test_an_empty_criteria_in_an_or_matches_everything(engine: Engine) -> None:
    assert found(engine, {"OrConditions": [{}, string("support", "EXACT")]}) == sorted(CASES)
    assert found(engine, {"OrConditions": [], "AndConditions": []}) == sorted(CASES)


def test_tag_conditions_by_key_by_value_and_by_both(engine: Engine) -> None:
    assert found(engine, tags={"TagCondition": {"TagKey": "tier"}}) == ["Billing main", "zebra\U0010ffff"]
    assert found(engine, tags={"TagCondition": {"TagKey": "team", "TagValue": "billing"}}) == [
        "Billing main",
        "billing draft",
    ]
    assert found(engine, tags={"TagCondition": {"TagValue": "gold"}}) == ["Billing main", "support"]
    assert found(engine, tags={"TagCondition": {}}) == sorted(CASES)


def test_tag_and_conditions_and_or_groups(engine: Engine) -> None:
    both = {"AndConditions": [{"TagKey": "team", "TagValue": "billing"}, {"TagKey": "tier"}]}
    assert found(engine, tags=both) == ["Billing main"]
    groups = {"OrConditions": [[{"TagKey": "owner"}], [{"TagKey": "tier", "TagValue": "silver"}]]}
    assert found(engine, tags=groups) == ["support", "zebra\U0010ffff"]
    assert found(engine, tags={"OrConditions": [[], [{"TagKey": "owner"}]]}) == sorted(CASES)
    with_criteria = found(engine, {"StatusCondition": "SAVED"}, {"TagCondition": {"TagValue": "gold"}})
    assert with_criteria == ["support"]


def test_tags_follow_an_update(engine: Engine) -> None:
    support = tc.find_test_case_id(engine.ctx, engine.principal, "support")
    tc.update_test_case(engine.ctx, engine.principal, support, tags={"team": "billing"})
    assert found(engine, tags={"TagCondition": {"TagKey": "team", "TagValue": "billing"}}) == [
        "Billing main",
        "billing draft",
        "support",
    ]
    assert found(engine, tags={"TagCondition": {"TagKey": "owner"}}) == []


def test_pages_go_on_after_the_last_id(engine: Engine) -> None:
    first = search.search_test_cases(engine.ctx, engine.principal, kind="connect", where=None, limit=2)
    rest = search.search_test_cases(
        engine.ctx, engine.principal, kind="connect", where=None, limit=10, after=first.views[-1].test_case.id
    )
    assert first.more and first.total == len(CASES) and not rest.more
    names = [v.test_case.name for v in [*first.views, *rest.views]]
    assert sorted(names) == sorted(CASES) and len(names) == len(CASES)
