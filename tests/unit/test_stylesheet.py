"""The one stylesheet's sections (`/* == <area> == */`) do not style the same elements: a class a
section's rule starts from belongs to that section, so one page's rules cannot leak into another's."""

import re
from collections import defaultdict
from pathlib import Path

import testament.web

CSS = Path(testament.web.__file__).parent / "static" / "testament.css"


def sections(css: str) -> dict[str, str]:
    """The stylesheet's text per section; the part before the first marker is the foundation's."""
    css = re.sub(r"/\*(?!\s*==).*?\*/", "", css, flags=re.S)  # comments, not the markers
    parts = re.split(r"/\*\s*==\s*(.*?)\s*==\s*\*/", css)
    return {"foundation": parts[0], **dict(zip(parts[1::2], parts[2::2], strict=True))}


def leading_classes(css: str) -> list[frozenset[str]]:
    """Each selector's first compound, as its set of classes (`.table.run-kv .x` → {table, run-kv})."""
    found = []
    for match in re.finditer(r"([^{}]+)\{", css):
        prelude = match.group(1).strip()
        if prelude.startswith("@"):
            continue
        for selector in prelude.split(","):
            first = selector.strip().split(" ")[0].split(">")[0]
            classes = frozenset(re.findall(r"\.([A-Za-z][\w-]*)", first))
            if classes:
                found.append(classes)
    return found


def test_no_two_sections_start_a_rule_from_the_same_classes() -> None:
    owners: dict[frozenset[str], set[str]] = defaultdict(set)
    for name, text in sections(CSS.read_text()).items():
        for classes in leading_classes(text):
            owners[classes].add(name)
    shared = {"." + ".".join(sorted(c)): sorted(s) for c, s in owners.items() if len(s) > 1}
    assert shared == {}


def test_the_check_sees_a_collision() -> None:
    css = "/* == a == */ .banner { color: red; } /* == b == */ .banner, .b-x { color: blue; }"
    owners = {name: leading_classes(text) for name, text in sections(css).items()}
    assert frozenset({"banner"}) in owners["a"] and frozenset({"banner"}) in owners["b"]


def test_only_the_status_macro_s_own_icon_spins() -> None:
    css = CSS.read_text()
    assert ".st-running .status-icon" not in css  # it spun every icon inside a running container
    assert ".status.st-running > .status-icon { animation: spin" in css
