"""One aggregate per services module: a module's use cases change and read the tables of the
aggregate it holds, and no other's, so each rule about an aggregate's rows has one home.

An aggregate is the rows that change together in one transaction (AGGREGATES: its root's table
first). A module touches a table when it imports it from store/tables.py (by name, or as
`tables.x` / `t.x`) or names a mapped domain class in a call: builds one (`Plan(...)`), or
passes it to `Repository`, `select`, `session.get` and the like. A module that needs another
aggregate's rows asks that aggregate's module (plans.first_plan_using, users.is_enabled,
candidates.labelled, ...). The few reads across aggregates that are kept on purpose (a read model
joining several in one query, a guard that must hold in the same transaction) are listed in
ACROSS with their reasons; a new one fails here until it is moved or listed.
"""

import ast
from pathlib import Path

from testament.store.tables import metadata

SERVICES = Path(__file__).resolve().parents[2] / "src" / "testament" / "services"

# aggregate -> its tables, the root's first
AGGREGATES: dict[str, tuple[str, ...]] = {
    "workspace": ("workspaces",),
    "project": ("projects",),
    "user": ("users",),
    "api key": ("api_keys",),
    "test case": ("test_cases", "test_case_versions", "data_sets", "test_case_tags"),
    "suite": ("suites",),
    "plan": ("plans",),
    "environment": ("environments",),
    # flows, queues, hours, saved run configs and uploads are resources of a kind; an upload
    # keeps its versions
    "resource": ("resources", "upload_versions"),
    "package": ("packages",),
    "assignment": ("assignments",),
    # a start's client token and a claim's slot change with the executions they are for
    "execution": ("executions", "execution_records", "artifacts", "idempotency_tokens", "execution_slots"),
    "plan run": ("plan_runs",),
    "task": ("tasks", "task_steps"),
    "candidate": ("candidates",),
    "test instance": ("test_instances",),
    "incident": ("incidents", "incident_links", "incident_comments"),
    "attachment": ("attachments",),
    # the bytes of kept files (artifacts, attachments) when the database keeps them
    "blob": ("blob_chunks",),
    "callback": ("callbacks",),
    "worker": ("workers",),
    "surface ids": ("surface_ids",),
    "deployment settings": ("deployment_settings",),
    "rate limit windows": ("rate_limit_windows",),
    "ui session": ("ui_sessions",),
}

# services module -> the aggregate it holds (None: it holds none, and touches no table)
HOLDS: dict[str, str | None] = {
    "__init__.py": None,
    "apply.py": None,  # applies a bundle through the features' use cases
    "assignments.py": "assignment",
    "attachments.py": "attachment",
    "blobs.py": "blob",
    "callbacks.py": "callback",
    "candidates.py": "candidate",
    "context.py": None,
    "dashboard.py": None,  # the dashboard's read model: executions counted, and their test cases' names
    "deployment.py": "deployment settings",
    "endings.py": None,
    "environments.py": "environment",
    "events.py": None,
    "executions/__init__.py": "execution",
    "executions/artifacts.py": "execution",
    "executions/lifecycle.py": "execution",
    "executions/manual.py": "execution",
    "executions/read.py": "execution",
    "executions/start.py": "execution",
    "history.py": None,  # test cases' run history: a read model over executions and test cases
    "incidents.py": "incident",
    "keys.py": "api key",
    "named.py": None,  # what suites, plans and environments share
    "packages.py": "package",
    "paging.py": None,
    "plan_runs/__init__.py": "plan run",
    "plan_runs/read.py": "plan run",
    "plan_runs/sheets.py": "plan run",
    "plan_runs/write.py": "plan run",
    "plans.py": "plan",
    "projects.py": "project",
    "rate_limits.py": "rate limit windows",
    "read_side.py": None,
    "references.py": None,
    "resources.py": "resource",
    "run_configs.py": "resource",
    "scores.py": "execution",  # an execution's scoreboard, from its records
    "suites.py": "suite",
    "surface_ids.py": "surface ids",
    "tasks.py": "task",
    "ui_sessions.py": "ui session",
    "test_cases/__init__.py": "test case",
    "test_cases/read.py": "test case",
    "test_cases/search.py": "test case",
    "test_cases/tags.py": "test case",
    "test_cases/write.py": "test case",
    "test_instances.py": "test instance",
    "uploads.py": "resource",
    "users.py": "user",
    "wakeups.py": None,
    "workers.py": "worker",
    "workspaces.py": "workspace",
}

# (module, table of another aggregate) -> why the module touches it itself
ACROSS: dict[tuple[str, str], str] = {
    # read models: several aggregates read in one transaction, in batched queries
    ("assignments.py", "executions"): "an assignment's runs, and the RUNS view of manual runs",
    ("assignments.py", "test_cases"): "an assignment's summary shows its test case's name",
    ("assignments.py", "users"): "the RUNS view filters on the id of the user who ran it",
    ("callbacks.py", "test_instances"): "a delivery is listed and sent with its test instance",
    ("executions/manual.py", "assignments"): "who may record a manual run is its assignment's assignee",
    ("executions/manual.py", "incident_links"): "a run's steps show how many incidents each has",
    ("executions/manual.py", "test_case_versions"): "a manual run's steps are its version's content",
    ("history.py", "executions"): "test cases' last runs, batched for a list of test cases",
    ("keys.py", "users"): "every API call authenticates: a key and whether its user is enabled, one read",
    ("history.py", "test_cases"): "... named, and their versions read only in their workspace",
    ("history.py", "test_case_versions"): "a test case's versions with their dates",
    ("incidents.py", "executions"): "an incident's links name step results of executions",
    ("executions/read.py", "test_cases"): "the runs list and a run's page name its test case",
    ("executions/read.py", "environments"): "a run's page names its environment",
    ("executions/read.py", "plan_runs"): "the runs list filters executions by their plan run's plan",
    ("plan_runs/read.py", "executions"): "a plan run is read with its executions (counts, status, facts)",
    ("plan_runs/read.py", "plans"): "a plan run's quality gate is its plan's pass ratio",
    ("plan_runs/sheets.py", "executions"): "the sheet: a run with its executions' columns, one query",
    ("plan_runs/sheets.py", "plans"): "the sheet names the run's plan",
    ("plan_runs/sheets.py", "suites"): "the sheet names the suites, in one batched lookup",
    ("plan_runs/sheets.py", "test_cases"): "the sheet names the test cases, in one batched lookup",
    ("scores.py", "test_case_versions"): "an execution is scored against its version's content",
    ("surface_ids.py", "resources"): "an upload version is numbered in its upload's workspace",
    ("test_instances.py", "candidates"): "an instance is read beside its candidate (and started by one)",
    ("test_instances.py", "tasks"): "an instance is read beside its task (and started at one of its steps)",
    ("test_instances.py", "executions"): "an instance's page shows its batch's executions and score so far",
    ("workers.py", "executions"): "a worker is listed with the executions it runs",
    ("workers.py", "test_cases"): "... and their test cases' names",
    ("dashboard.py", "executions"): "the dashboard counts the workspace's runs in grouped queries",
    ("dashboard.py", "test_cases"): "... and names their test cases in the same queries",
    # guards that must hold in the transaction that changes the row
    ("candidates.py", "test_instances"): "a candidate who started a step is not deleted",
    ("incidents.py", "projects"): "an incident is raised in a project of the workspace",
    ("incidents.py", "users"): "an incident's assignee is a user of the workspace",
    ("packages.py", "assignments"): "a package that holds assignments is not deleted",
    ("plans.py", "executions"): "a plan with a run in progress is not deleted",
    ("plans.py", "plan_runs"): "a plan that ran is retired, not deleted",
    ("projects.py", "packages"): "a project that holds packages is not deleted",
    ("projects.py", "suites"): "a project that holds suites is not deleted",
    ("test_cases/write.py", "assignments"): "a test case's unrun assignments go with it",
    ("test_cases/write.py", "executions"): "a test case that ran is retired, not deleted",
    ("users.py", "api_keys"): "a user who has keys is not deleted",
    ("users.py", "assignments"): "a user who has assignments is not deleted",
    ("users.py", "executions"): "a user who has runs is not deleted",
    # one transaction across aggregates on purpose
    ("executions/start.py", "plan_runs"): "a plan's start makes its plan run with the executions",
    ("executions/start.py", "test_cases"): "a start runs what it read and checked in its transaction",
    ("executions/start.py", "test_case_versions"): "... the published version (its declared secrets)",
    ("executions/start.py", "data_sets"): "... its data sets",
    ("executions/start.py", "suites"): "... the plan's suites",
    ("executions/start.py", "environments"): "... the environment",
    ("endings.py", "executions"): "an execution's end completes its test instance in its transaction",
    ("endings.py", "test_instances"): "... (the instance follows its batch)",
    ("endings.py", "candidates"): "... and queues the candidate's callback",
    ("incidents.py", "attachments"): "an incident's attachments are deleted with it",
    # cross-cutting modules that hold no aggregate
    ("context.py", "workspaces"): "the unit of work locks the workspace's row and reads its quotas",
    ("references.py", "environments"): "the one rule for reading a reference by id or name",
    ("references.py", "packages"): "...",
    ("references.py", "plans"): "...",
    ("references.py", "suites"): "...",
    ("references.py", "test_cases"): "...",
}


def _table_of_class() -> dict[str, str]:
    """Each mapped domain class's name -> its table, as store/tables.py's map_domain pairs them
    (read from its source: mapping the classes here would change them for every other test)."""
    tree = ast.parse((SERVICES.parent / "store" / "tables.py").read_text(encoding="utf-8"))
    mapping = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "map_domain")
    pairs = {
        (node.elts[0].id, node.elts[1].id)
        for node in ast.walk(mapping)
        if isinstance(node, ast.Tuple)
        and len(node.elts) == 2
        and all(isinstance(e, ast.Name) for e in node.elts)
    }
    calls = {
        (node.args[0].id, node.args[1].id)
        for node in ast.walk(mapping)
        if isinstance(node, ast.Call)
        and len(node.args) == 2
        and all(isinstance(a, ast.Name) for a in node.args)
    }
    return {cls: table for cls, table in pairs | calls if table in TABLES}


TABLES = set(metadata.tables)


def touched(source: str, classes: dict[str, str]) -> set[str]:
    """The tables a module's source touches (see the module's docstring)."""
    tree = ast.parse(source)
    found: set[str] = set()
    table_modules: set[str] = set()
    imported_classes: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "testament.store.tables":
            found |= {alias.name for alias in node.names if alias.name in TABLES}
        elif isinstance(node, ast.ImportFrom) and node.module == "testament.store":
            table_modules |= {alias.asname or alias.name for alias in node.names if alias.name == "tables"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("testament.domain"):
            for alias in node.names:
                if alias.name in classes:
                    imported_classes[alias.asname or alias.name] = classes[alias.name]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in table_modules
            and node.attr in TABLES
        ):
            found.add(node.attr)
        if isinstance(node, ast.Call) and not _is_a_type_check(node):
            names = [n for n in (node.func, *node.args) if isinstance(n, ast.Name)]
            found |= {imported_classes[n.id] for n in names if n.id in imported_classes}
    return found


def _is_a_type_check(call: ast.Call) -> bool:
    """`isinstance(x, Plan)`, `TypeVar("T", Plan, Suite)`, `cast(Plan, x)` name a class, not its rows."""
    return isinstance(call.func, ast.Name) and call.func.id in ("isinstance", "TypeVar", "cast")


def aggregate_of(table: str) -> str:
    return next(name for name, tables in AGGREGATES.items() if table in tables)


def strays(module: str, source: str, classes: dict[str, str]) -> list[str]:
    """The tables a module touches outside the aggregate it holds, and not listed in ACROSS."""
    holds = HOLDS[module]
    return sorted(
        table
        for table in touched(source, classes)
        if aggregate_of(table) != holds and (module, table) not in ACROSS
    )


def modules() -> dict[str, str]:
    return {
        path.relative_to(SERVICES).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(SERVICES.rglob("*.py"))
    }


def test_every_mapped_class_is_known_with_its_table() -> None:
    classes = _table_of_class()
    assert classes["Plan"] == "plans" and classes["Candidate"] == "candidates"
    assert len(classes) >= 20


def test_every_table_belongs_to_one_aggregate() -> None:
    listed = [table for tables in AGGREGATES.values() for table in tables]
    assert sorted(listed) == sorted(TABLES), "add the new table to its aggregate in AGGREGATES"


def test_every_services_module_says_which_aggregate_it_holds() -> None:
    assert sorted(modules()) == sorted(HOLDS), "add the module to HOLDS, with the aggregate it holds"


def test_no_module_touches_another_aggregates_tables() -> None:
    classes = _table_of_class()
    found = {module: strays(module, source, classes) for module, source in modules().items()}
    stray = {module: tables for module, tables in found.items() if tables}
    assert not stray, (
        f"ask the other aggregate's module, or add (module, table) to ACROSS with its reason: {stray}"
    )


def test_every_listed_crossing_is_still_needed() -> None:
    classes = _table_of_class()
    sources = modules()
    stale = [(m, t) for m, t in ACROSS if t not in touched(sources[m], classes)]
    assert not stale, "a crossing no module makes any more: remove it from ACROSS"


def test_the_scan_finds_a_second_aggregate_however_it_is_reached() -> None:
    classes = _table_of_class()
    HOLDS["example.py"] = "plan"
    try:
        by_name = "from testament.store.tables import plans, executions\n"
        by_module = "from testament.store import tables as t\nt.plans.c.id\nt.tasks.c.id\n"
        by_class = (
            "from testament.domain.model import Plan, Suite\n"
            "Repository(session, Plan, ws, 'plan')\nsession.get(Suite, ident)\n"
        )
        built = "from testament.domain.model import Plan, Suite\nPlan(id=1)\nSuite(id=2)\n"
        assert strays("example.py", by_name, classes) == ["executions"]
        assert strays("example.py", by_module, classes) == ["tasks"]
        assert strays("example.py", by_class, classes) == ["suites"]
        assert strays("example.py", built, classes) == ["suites"]
        assert strays("example.py", "from testament.domain.model import Suite\nx: Suite\n", classes) == []
    finally:
        del HOLDS["example.py"]
