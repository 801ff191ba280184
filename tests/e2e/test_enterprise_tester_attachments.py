"""Enterprise Tester: files kept with scripts and incidents, deleting a step result's file, and
an incident's comments."""

import uuid
from collections.abc import Iterator

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace
from tests.e2e.test_enterprise_tester import assignment, et_client


@pytest.fixture
def et(live: LiveServer, workspace: Workspace) -> Iterator[httpx.Client]:
    with et_client(live, workspace) as client:
        yield client


def new_script(et: httpx.Client) -> dict[str, object]:
    package = et.post("/scriptpackages", json={"Name": f"Login {uuid.uuid4().hex[:6]}"}).json()["Id"]
    body = {"Name": "Sign in", "PackageId": package, "Steps": [{"Description": "Sign in"}]}
    return dict(et.post("/scripts", json=body).json())


def test_a_script_keeps_files_listed_read_and_deleted(et: httpx.Client) -> None:
    script = new_script(et)

    uploaded = et.post(
        f"/script/{script['Id']}/attachments",
        files=[
            ("a", ("spec.pdf", b"%PDF-1", "application/pdf")),
            ("b", ("notes.txt", b"notes", "text/plain")),
        ],
    )
    listed = et.get(
        f"/script/{script['Id']}/attachments", params={"$orderby": "Name", "$inlinecount": "allpages"}
    )
    content = et.get(uploaded.json()[0]["Self"])
    shown = et.get(str(script["Self"])).json()
    deleted = et.delete(f"/script/{script['Id']}/attachment/{uploaded.json()[0]['Id']}")
    after = et.get(f"/script/{script['Id']}/attachments").json()["Items"]

    assert uploaded.status_code == 201, uploaded.text
    assert [(a["FileName"], a["Size"], a["ScriptId"]) for a in uploaded.json()] == [
        ("spec.pdf", 6, script["Id"]),
        ("notes.txt", 5, script["Id"]),
    ]
    assert [a["Name"] for a in listed.json()["Items"]] == ["notes.txt", "spec.pdf"] and listed.json()[
        "Total"
    ] == 2
    assert content.status_code == 200 and content.content == b"%PDF-1"
    assert shown["HasAttachments"] is True and script["HasAttachments"] is False
    assert deleted.status_code == 200 and [a["Name"] for a in after] == ["notes.txt"]
    assert et.get(uploaded.json()[0]["Self"]).status_code == 404


def test_an_incident_keeps_files_and_comments(live: LiveServer, workspace: Workspace) -> None:
    with et_client(live, workspace, Role.TESTER) as et, et_client(live, workspace, Role.VIEWER) as viewer:
        incident = et.post(
            "/incidents", json={"Summary": "Crash on sign out", "Comments": [{"Body": "Seen on Firefox"}]}
        ).json()
        et.put(incident["Self"], json={"Comments": [{"Body": "And on Chrome"}]})
        uploaded = et.post(
            f"/incident/{incident['Id']}/attachments", files={"f": ("log.txt", b"trace", "text/plain")}
        )
        refused = viewer.post(
            f"/incident/{incident['Id']}/attachments", files={"f": ("x.txt", b"x", "text/plain")}
        )
        shown = et.get(incident["Self"]).json()
        comments = et.get(f"/incident/{incident['Id']}/comments", params={"$inlinecount": "allpages"}).json()
        empty_comment = et.put(incident["Self"], json={"Comments": [{"Body": ""}]})
        deleted = et.delete(f"/incident/{incident['Id']}/attachment/{uploaded.json()[0]['Id']}")
        listed = et.get(f"/incident/{incident['Id']}/attachments").json()["Items"]

    assert uploaded.status_code == 201 and uploaded.json()[0]["IncidentId"] == incident["Id"]
    assert refused.status_code == 403
    assert shown["HasAttachments"] is True
    assert [c["Body"] for c in comments["Items"]] == ["Seen on Firefox", "And on Chrome"]
    assert comments["Items"][0]["CreatedByUserName"] == "tester-user" and comments["Total"] == 2
    assert empty_comment.status_code == 403 and "Comments[0].Body" in empty_comment.json()["Message"]
    assert deleted.status_code == 200 and listed == []


def test_a_step_results_file_is_deleted(et: httpx.Client, api: httpx.Client) -> None:
    run = et.post(f"/scriptassignment/{assignment(api)}/runs", params={"$expand": "StepResults"}).json()
    step, other = (s["Id"] for s in run["StepResults"])
    uploaded = et.post(
        f"/stepresult/{step}/attachments", files={"f": ("shot.png", b"png", "image/png")}
    ).json()[0]

    elsewhere = et.delete(f"/stepresult/{other}/attachment/{uploaded['Id']}")
    deleted = et.delete(f"/stepresult/{step}/attachment/{uploaded['Id']}")

    assert elsewhere.status_code == 404
    assert deleted.status_code == 200
    assert et.get(f"/stepresult/{step}").json()["HasAttachments"] is False
    assert et.get(uploaded["Self"]).status_code == 404
