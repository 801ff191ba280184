"""Manual runs in the browser (/manual): a tester opens an assigned run and walks its steps.

    GET  /manual                                   runs assigned to you, open and completed ones
    POST /manual/assignments/{id}/start            start (or reopen) an assignment's run
    GET  /manual/{execution_id}                    the run: its steps, each with a form
    POST /manual/{execution_id}/steps/{n}          record a step's outcome, actual result, notes
    POST /manual/{execution_id}/steps/{n}/files    attach files to a step
    POST /manual/{execution_id}/steps/{n}/incidents    raise an incident linked to the step
    POST /manual/{execution_id}/complete           complete the run (the rest stays Not run)
    GET  /manual/{execution_id}/files/{artifact_id}    download a step's file (never inline)

It is the same run the Enterprise Tester surface shows (its script run's id is the execution's
id, a step result's id the step's). Every change is saved as it is made: with htmx a step's form
posts on each change and gets back the step's state (and the run's banner, out of band); without
scripts the same form posts and the browser is sent back to the step. Viewers read the run but
see no form, and the server refuses their posts anyway (403).
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from testament.domain.errors import IllegalTransition, InvalidInput, NotFound
from testament.domain.incidents import IncidentChange
from testament.domain.manual import StepOutcome, parse_outcome
from testament.services import assignments, incidents
from testament.services.blobs import download_headers
from testament.services.executions import artifacts as artifact_svc
from testament.services.executions import manual
from testament.services.test_cases import get_test_case
from testament.web.render import render
from testament.web.security import UI_HEADERS
from testament.web.session import Viewer, WebUser

__all__ = ["OUTCOMES", "router"]

router = APIRouter()

# The outcomes a tester picks, each with its key (P/F/B/U; Not run resets a step, no key).
OUTCOMES: tuple[tuple[StepOutcome, str], ...] = (
    (StepOutcome.PASSED, "P"),
    (StepOutcome.FAILED, "F"),
    (StepOutcome.BLOCKED, "B"),
    (StepOutcome.UNDETERMINED, "U"),
    (StepOutcome.NOT_RUN, ""),
)
LIST_LIMIT = 50


@dataclass(frozen=True)
class RunPage:
    """What the run page shows beside the run: its test case's name, its assignee, whether the
    signed-in key may record it, each step's files and incidents."""

    run: manual.ManualRun
    name: str
    assignee: str | None
    may_record: bool
    files: dict[int, list[Any]]
    raised: dict[int, list[incidents.IncidentView]]

    @property
    def counts(self) -> list[tuple[str, int]]:
        found = Counter(s.outcome.value for s in self.run.steps)
        return [(o.value, found[o.value]) for o, _ in OUTCOMES if found[o.value]]

    @property
    def recorded(self) -> int:
        return sum(s.outcome != StepOutcome.NOT_RUN for s in self.run.steps)


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _may_record(user: WebUser, assignee: str | None) -> bool:
    """The key may record results (testers and up), and, for an assigned run, is its assignee or
    may run any assignment (as record_steps checks)."""
    if not user.can("record"):
        return False
    return assignee is None or assignee == user.user_name or user.can("run_any_assignment")


def _load(user: WebUser, execution_id: str, *, details: bool = True) -> RunPage:
    run = manual.get_manual_run(user.ctx, user.principal, execution_id)
    execution = run.execution
    name = get_test_case(user.ctx, user.principal, execution.test_case_id, retired=True).test_case.name
    assignee = None
    if execution.assignment_id:
        assignee = assignments.get_assignment(user.ctx, user.principal, execution.assignment_id).assignee
    files: dict[int, list[Any]] = {}
    raised: dict[int, list[incidents.IncidentView]] = {}
    if details:
        for step in run.steps:
            if step.attachments:
                files[step.step] = manual.step_attachments(user.ctx, user.principal, step.id)[0]
            if step.incidents:
                links, _ = incidents.step_links(user.ctx, user.principal, step.id)
                raised[step.step] = [
                    incidents.get_incident(user.ctx, user.principal, link.incident_id) for link in links
                ]
    return RunPage(run, name, assignee, _may_record(user, assignee), files, raised)


def _step(page: RunPage, number: int) -> manual.StepResult:
    found = next((s for s in page.run.steps if s.step == number), None)
    if found is None:
        raise NotFound("step", f"{page.run.execution.id}/{number}")
    return found


def _back_to(execution_id: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/manual/{execution_id}{anchor}", status_code=303, headers=UI_HEADERS)


def _text(form: Any, field: str, maximum: int) -> str | None:
    value = form.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, "must be text")
    if len(value) > maximum:
        raise InvalidInput(field, f"must be at most {maximum} characters")
    return value


# ------------------------------------------------------------------------------------ the list


@router.get("/manual", response_class=HTMLResponse)
def manual_runs_page(request: Request, user: Viewer) -> HTMLResponse:
    mine = assignments.list_assignments(user.ctx, user.principal, assignee=user.user_name)
    summaries = assignments.summarize_assignments(user.ctx, user.principal, [a.id for a in mine])
    open_runs = assignments.list_manual_runs(user.ctx, user.principal, completed=False, limit=LIST_LIMIT)
    done_runs = assignments.list_manual_runs(user.ctx, user.principal, completed=True, limit=20)
    return render(
        request,
        "manual/list.html",
        title="Manual runs",
        nav="/manual",
        assigned=[(a, summaries.get(a.id)) for a in mine],
        open_runs=open_runs,
        done_runs=done_runs,
        limit=LIST_LIMIT,
    )


@router.post("/manual/assignments/{assignment_id}/start")
def start_assignment_run(assignment_id: str, user: Viewer) -> Response:
    user.require("record")
    started = assignments.start_assignment_run(user.ctx, user.principal, assignment_id)
    return _back_to(started.execution.id)


# ------------------------------------------------------------------------------------- one run


@router.get("/manual/{execution_id}", response_class=HTMLResponse)
def manual_run_page(request: Request, execution_id: str, user: Viewer) -> HTMLResponse:
    page = _load(user, execution_id)
    return render(
        request,
        "manual/run.html",
        title=f"Manual run: {page.name}",
        nav="/manual",
        page=page,
        outcomes=OUTCOMES,
    )


def _step_answer(request: Request, page: RunPage, number: int, *, saved: bool) -> Response:
    """htmx: the step's state, its incident area and the banner (out of band)."""
    return render(
        request, "manual/_saved.html", page=page, step=_step(page, number), saved=saved, outcomes=OUTCOMES
    )


@router.post("/manual/{execution_id}/steps/{number}")
async def record_step(request: Request, execution_id: str, number: int, user: Viewer) -> Response:
    user.require("record")
    form = await request.form()
    outcome_text = _text(form, "outcome", 40)
    actual = _text(form, "actual_result", 10_000)
    notes = _text(form, "notes", 10_000)
    return await _in_thread(_record_step, request, user, execution_id, number, outcome_text, actual, notes)


def _record_step(
    request: Request,
    user: WebUser,
    execution_id: str,
    number: int,
    outcome_text: str | None,
    actual: str | None,
    notes: str | None,
) -> Response:
    before = _load(user, execution_id, details=False)
    step = _step(before, number)
    if outcome_text is None or outcome_text == "":
        outcome = step.outcome
    else:
        parsed = parse_outcome(outcome_text)
        if parsed is None:
            raise InvalidInput("outcome", f"must be one of {', '.join(o.value for o in StepOutcome)}")
        outcome = parsed
    try:
        done = manual.record_steps(
            user.ctx,
            user.principal,
            execution_id,
            [manual.StepInput(number, outcome.value, actual, notes)],
        )
    except IllegalTransition:
        if _is_htmx(request):  # completed meanwhile (elsewhere): show the run as it is now
            return Response(status_code=204, headers={"HX-Refresh": "true", **UI_HEADERS})
        raise
    if not _is_htmx(request):
        return _back_to(execution_id, f"#step-{number}")
    if done.completed:  # the last outcome completed the run: the page shows the verdict
        return Response(status_code=204, headers={"HX-Refresh": "true", **UI_HEADERS})
    return _step_answer(request, _load(user, execution_id), number, saved=True)


@router.post("/manual/{execution_id}/steps/{number}/files")
async def attach_files(request: Request, execution_id: str, number: int, user: Viewer) -> Response:
    user.require("record")
    form = await request.form()
    files = [f for f in form.getlist("file") if isinstance(f, UploadFile) and f.filename]
    if not files:
        raise InvalidInput("file", "choose a file to attach")
    loaded = [
        (f.filename or "file", f.content_type or "application/octet-stream", await f.read()) for f in files
    ]
    return await _in_thread(_attach, user, execution_id, number, loaded)


def _attach(user: WebUser, execution_id: str, number: int, loaded: list[tuple[str, str, bytes]]) -> Response:
    page = _load(user, execution_id, details=False)
    step = _step(page, number)
    for name, media_type, data in loaded:
        manual.attach_to_step(user.ctx, user.principal, step.id, name=name, data=data, media_type=media_type)
    return _back_to(execution_id, f"#step-{number}")


@router.post("/manual/{execution_id}/steps/{number}/incidents")
async def raise_incident(request: Request, execution_id: str, number: int, user: Viewer) -> Response:
    user.require("record")
    form = await request.form()
    summary = (_text(form, "summary", 500) or "").strip()
    description = _text(form, "description", 10_000) or ""
    if not summary:
        raise InvalidInput("summary", "an incident needs a summary")
    return await _in_thread(_raise, user, execution_id, number, summary, description)


def _raise(user: WebUser, execution_id: str, number: int, summary: str, description: str) -> Response:
    step = _step(_load(user, execution_id, details=False), number)
    change = IncidentChange(summary=summary, description=description)
    incidents.raise_incident(user.ctx, user.principal, change, step_result_ids=[step.id])
    return _back_to(execution_id, f"#step-{number}")


@router.post("/manual/{execution_id}/complete")
def complete_run(execution_id: str, user: Viewer) -> Response:
    user.require("record")
    manual.record_steps(user.ctx, user.principal, execution_id, [], complete=True)
    return _back_to(execution_id)


@router.get("/manual/{execution_id}/files/{artifact_id}")
def download_file(execution_id: str, artifact_id: str, user: Viewer) -> Response:
    """A step's file, always as a download (never rendered on the UI's origin)."""
    artifact, chunks = artifact_svc.open_artifact(user.ctx, user.principal, artifact_id)
    if artifact.execution_id != execution_id:
        raise NotFound("file", artifact_id)
    headers = {**UI_HEADERS, **download_headers(artifact.name, artifact.size)}
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)


async def _in_thread(fn: Any, *args: Any) -> Response:
    """Run the services (blocking database work) off the event loop, as sync routes are."""
    answer: Response = await run_in_threadpool(fn, *args)
    return answer
