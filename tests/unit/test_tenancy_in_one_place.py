"""Tenancy lives in one place: the services read a workspace's rows through the repository base
(store/repository.py: `Repository`, or `owned_by` for a Core query over columns), never with a
`workspace_id ==` filter or a `workspace_id !=` check of their own. A new one fails here; a
rare comparison that is not a read of rows goes on the short list below, with its reason."""

import re
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "src" / "testament" / "services"

# A workspace id compared by hand: on the left (`x.workspace_id == ...`, `workspace_id != ...`),
# or a table's column on the right (`... == table.c.workspace_id`).
RAW = re.compile(r"\bworkspace_id\s*[!=]=|[!=]=\s*[\w.]*\.c\.workspace_id\b")

EXCEPTIONS: dict[tuple[str, str], str] = {
    ("keys.py", "if workspace_id != principal.workspace_id:"): (
        "list_keys compares the workspace a caller names with its own before any read "
        "(an operator may name any workspace); the keys are then read through the repository"
    ),
    (
        "assignments.py",
        ".where(t.users.c.workspace_id == t.executions.c.workspace_id, t.users.c.name == user_name)",
    ): (
        "a correlated subquery joining a run to the user of its own workspace; the runs it reads "
        "are already the caller's"
    ),
}


def raw_comparisons() -> set[tuple[str, str]]:
    return {
        (path.relative_to(SERVICES).as_posix(), line.strip())
        for path in sorted(SERVICES.rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if RAW.search(line)
    }


def test_the_services_compare_no_workspace_ids_of_their_own() -> None:
    unexpected = sorted(raw_comparisons() - EXCEPTIONS.keys())
    assert not unexpected, (
        "read the workspace's rows through store/repository.py (Repository, owned_by), "
        f"or add the line to EXCEPTIONS with its reason: {unexpected}"
    )


def test_every_exception_is_still_needed() -> None:
    assert not EXCEPTIONS.keys() - raw_comparisons(), "an exception no line needs any more: remove it"


def test_the_pattern_catches_the_comparisons_it_is_for() -> None:
    caught = [
        "select(User).where(users.c.workspace_id == principal.workspace_id)",
        "if obj is None or obj.workspace_id != principal.workspace_id:",
        "exists().where(principal.workspace_id == assignments.c.workspace_id)",
    ]
    passed = [
        "select(User).where(owned_by(users, principal.workspace_id))",
        "workspace_id=principal.workspace_id,",
    ]
    assert all(RAW.search(line) for line in caught)
    assert not any(RAW.search(line) for line in passed)
