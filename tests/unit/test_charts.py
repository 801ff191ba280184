"""The server-rendered charts: well-formed SVG with an accessible name and summary, and the same
numbers as a table."""

import xml.etree.ElementTree as ET

import pytest

from testament.web.charts import Series, bars, line

SVG = "{http://www.w3.org/2000/svg}"


def _svg(markup: object) -> ET.Element:
    return ET.fromstring(str(markup))


def test_stacked_bars_are_well_formed_svg_named_and_described() -> None:
    chart = bars(
        "Runs per day",
        ["Nov 29", "Nov 30"],
        [Series("Passed", "passed", [3, 5]), Series("Failed", "failed", [1, 0])],
        ident="runs",
    )
    root = _svg(chart.svg())
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "runs-title runs-desc"
    assert root.find(f"{SVG}title").text == "Runs per day"  # type: ignore[union-attr]
    assert root.find(f"{SVG}title").get("id") == "runs-title"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "9 in all (8 passed, 1 failed); the most, 5, on Nov 30."  # type: ignore[union-attr]
    segments = [(r.get("class"), r.find(f"{SVG}title").text) for r in root.iter(f"{SVG}rect")]  # type: ignore[union-attr]
    assert segments == [
        ("chart-bar st-passed", "Nov 29: 3 passed"),
        ("chart-bar st-failed", "Nov 29: 1 failed"),
        ("chart-bar st-passed", "Nov 30: 5 passed"),
    ]
    totals = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value"]
    assert totals == ["4", "5"]
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert "Nov 29" in labels and "Nov 30" in labels


def test_a_taller_bar_is_drawn_taller_and_from_the_same_baseline() -> None:
    root = _svg(bars("Runs", ["a", "b"], [Series("Passed", "passed", [2, 4])]).svg())
    a, b = list(root.iter(f"{SVG}rect"))
    assert float(b.get("height", 0)) == pytest.approx(2 * float(a.get("height", 0)))
    assert float(a.get("y", 0)) + float(a.get("height", 0)) == pytest.approx(
        float(b.get("y", 0)) + float(b.get("height", 0))
    )


def test_the_bars_table_holds_every_number_with_a_total_and_scoped_headers() -> None:
    chart = bars(
        "Runs per day",
        ["Nov 29", "Nov 30"],
        [Series("Passed", "passed", [3, 5]), Series("Failed", "failed", [1, 0])],
    )
    table = _svg(chart.table())
    assert table.find("caption").text == "Runs per day"  # type: ignore[union-attr]
    head = [(th.text, th.get("scope")) for th in table.iter("th") if th.get("scope") == "col"]
    assert head == [("Day", "col"), ("Passed", "col"), ("Failed", "col"), ("Total", "col")]
    rows = [[c.text for c in tr] for tr in table.find("tbody")]  # type: ignore[union-attr]
    assert rows == [["Nov 29", "3", "1", "4"], ["Nov 30", "5", "0", "5"]]
    assert all(tr[0].get("scope") == "row" for tr in table.find("tbody"))  # type: ignore[union-attr]


def test_a_line_leaves_a_gap_where_a_value_is_missing_and_says_its_range() -> None:
    chart = line("Pass rate", ["d1", "d2", "d3", "d4", "d5"], [0.5, 1.0, None, 0.25, 0.75], ident="rate")
    root = _svg(chart.svg())
    lines = list(root.iter(f"{SVG}polyline"))
    assert [len(p.get("points", "").split()) for p in lines] == [2, 2]
    points = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")]  # type: ignore[union-attr]
    assert points == ["d1: 50%", "d2: 100%", "d4: 25%", "d5: 75%"]
    assert root.find(f"{SVG}desc").text == (  # type: ignore[union-attr]
        "From 50% on d1 to 75% on d5; lowest 25% on d4, highest 100% on d2."
    )
    rows = [[c.text for c in tr] for tr in _svg(chart.table()).find("tbody")]  # type: ignore[union-attr]
    assert rows[2] == ["d3", "—"]
    assert rows[0] == ["d1", "50%"]


def test_a_higher_value_is_drawn_higher() -> None:
    root = _svg(line("Rate", ["a", "b"], [0.2, 0.9]).svg())
    low, high = list(root.iter(f"{SVG}circle"))
    assert float(high.get("cy", 0)) < float(low.get("cy", 0))


def test_text_is_escaped_and_the_svg_stays_well_formed() -> None:
    evil = '<script>alert("x")</script> & co'
    chart = bars(evil, [evil], [Series(evil, "passed", [1])])
    text = str(chart.svg()) + str(chart.table())
    assert "<script>" not in text
    root = _svg(chart.svg())
    assert root.find(f"{SVG}title").text == evil  # type: ignore[union-attr]
    _svg(chart.table())


def test_empty_charts_say_so() -> None:
    assert "every value is zero" in str(bars("Runs", ["a"], [Series("Passed", "passed", [0])]).svg())
    empty = _svg(line("Rate", ["a", "b"], [None, None]).svg())
    assert empty.find(f"{SVG}desc").text == "No values yet."  # type: ignore[union-attr]
    assert list(empty.iter(f"{SVG}polyline")) == []


def test_a_month_of_labels_is_thinned_but_keeps_the_newest_day() -> None:
    labels = [f"d{i}" for i in range(30)]
    root = _svg(bars("Runs", labels, [Series("Passed", "passed", [1] * 30)]).svg())
    shown = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label" and t.text in labels]
    assert "d29" in shown
    assert 5 <= len(shown) < 30


def test_each_series_needs_a_value_per_label() -> None:
    with pytest.raises(ValueError, match="Passed"):
        bars("Runs", ["a", "b"], [Series("Passed", "passed", [1])])
