"""Pure functions from Testament's tasks, candidates and test instances to TestInvite's answer
models (`schemas.py`): camelCase, epoch seconds, `basic` and `detailed` modes, `result: false`
until complete. A member a mode leaves out is left unset, so it is not sent."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from testament.compat.testinvite.schemas import CandidateWire, Pagination, TaskWire, TestInstanceWire
from testament.domain.scoring import with_numeric_effects
from testament.domain.tasks import Candidate, TaskStep
from testament.services.tasks import TaskView
from testament.services.test_instances import InstanceView

__all__ = [
    "candidate_wire",
    "instance_wire",
    "pagination",
    "seconds",
    "task_wire",
]

_SECTIONS = uuid.UUID("1b0c8a52-3f7e-4f5e-9a8d-5c1d2e3f4a5b")
_BASIC_SCORE = ("pointsAchieved", "maxAchievablePoints", "achievementRatio")


def seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _step_wire(step: TaskStep, workspace_id: str) -> dict[str, Any]:
    return {
        "id": step.id,
        "title": step.title,
        "active": step.active,
        "activeBefore": None,
        "activeAfter": None,
        "attemptLimit": step.attempt_limit,
        "test": {
            "testId": step.test_case_id or step.plan_id,
            "organizationId": workspace_id,
            "source": "own-test",
        },
        "webcamRecording": "NONE",
        "screenRecording": "NONE",
        "fullscreen": False,
        "postAiProctoring": False,
        "practiceMode": False,
    }


def task_wire(view: TaskView, detailed: bool) -> TaskWire:
    task = view.task
    wire: dict[str, Any] = {"taskId": task.id, "title": task.title, "createdAt": seconds(task.created_at)}
    if detailed:
        wire |= {
            "organizationId": task.workspace_id,
            "favorite": False,
            "folder": task.folder,
            "labels": task.labels,
            "tags": task.tags,
            "lang": "en",
            "accessMethod": "invitation-code",
            "active": task.active,
            "activeAfter": seconds(task.active_after),
            "activeBefore": seconds(task.active_before),
            "steps": [_step_wire(s, task.workspace_id) for s in view.steps],
            "programs": [],
            "stages": [],
            "emailTemplates": [],
            "privateChatEnabled": False,
        }
    return TaskWire.model_validate(wire)


def candidate_wire(candidate: Candidate, detailed: bool, logged_in: bool) -> CandidateWire:
    wire: dict[str, Any] = {
        "candidateId": candidate.id,
        "kind": candidate.kind.value,
        "taskId": candidate.task_id,
        "loggedIn": logged_in,
        "fullname": candidate.fullname,
        "email": candidate.email,
        "invitationCode": candidate.invitation_code,
        "directAccessUrl": None,  # candidates start steps through the API; there is no candidate site
    }
    if detailed:
        wire |= {
            "organizationId": candidate.workspace_id,
            "source": "pre-registration",
            "active": candidate.active,
            "activeAfter": None,
            "activeBefore": None,
            "group": candidate.group,
            "tags": candidate.tags,
            "labels": candidate.labels,
            "rating": None,
            "stage": None,
            "externalId": candidate.external_id,
            "ticketId": candidate.ticket_id,
        }
    return CandidateWire.model_validate(wire)


def _section_uuid(task_id: str, name: str) -> str:
    """A section's stable uuid within a task (the scoreboard names sections; the vendor ids them)."""
    return str(uuid.uuid5(_SECTIONS, f"{task_id}/{name}"))


def _result(view: InstanceView, detailed: bool) -> dict[str, Any] | bool:
    instance = view.instance
    board = with_numeric_effects(instance.scoreboard)  # the vendor's score is a number, never null
    if instance.open or board is None:
        return False
    overall = board["scoreboard"]
    if not detailed:
        return {
            "completedAt": seconds(instance.completed_at),
            "scoreboard": {k: overall[k] for k in _BASIC_SCORE},
        }
    return {
        "completedAt": seconds(instance.completed_at),
        "scoreboard": overall,
        "sections": [
            {"uuid": _section_uuid(instance.task_id, s["name"]), "scoreboard": s["scoreboard"]}
            for s in board["sections"]
        ],
        "dimensions": board["dimensions"],
        "effects": board["effects"],
    }


def instance_wire(view: InstanceView, detailed: bool) -> TestInstanceWire:
    instance, candidate = view.instance, view.candidate
    wire: dict[str, Any] = {
        "testInstanceId": instance.id,
        "taskId": instance.task_id,
        "stepId": instance.step_id,
        "ticketId": candidate.ticket_id,
        "status": instance.status.value,
        "ignored": instance.ignored,
        "result": _result(view, detailed),
    }
    if detailed:
        wire |= {
            "organizationId": instance.workspace_id,
            "candidate": {"id": candidate.id, "kind": candidate.kind.value},
            "folder": view.task.folder,
            "group": candidate.group,
            "labels": candidate.labels,
            "tags": candidate.tags,
        }
    return TestInstanceWire.model_validate(wire)  # its members in the seed's order: result last


def _query(limit: int, page: int, mode: str, filters: Sequence[tuple[str, str]]) -> str:
    return "?" + urlencode([("limit", limit), ("page", page), ("mode", mode), *filters])


def pagination(
    total: int, page: int, limit: int, mode: str, filters: Sequence[tuple[str, str]]
) -> Pagination:
    """The seed's page-based pagination; `next`/`previous` are query strings that keep the
    mode and filters, null at the ends."""
    pages = -(-total // limit)
    previous = None if page == 1 else _query(limit, min(page - 1, max(pages, 1)), mode, filters)
    return Pagination.model_validate(
        {
            "totalItems": total,
            "totalPages": pages,
            "currentPage": page,
            "limit": limit,
            "next": _query(limit, page + 1, mode, filters) if page < pages else None,
            "previous": previous,
        }
    )
