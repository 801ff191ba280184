"""Enterprise Tester's custom-field PATCH on script runs and scripts: the vendor's `Operation`
body sets custom field values, answered with 204.

A run keeps them as its custom values (`FieldValues`, merged); a script keeps them as its
test case's tags (text values, merged), which `$expand=FieldValues` shows as the script's
`FieldValues`.
"""

from fastapi import APIRouter, Response

from testament.compat.enterprise_tester.calls import Call
from testament.compat.enterprise_tester.errors import EtError
from testament.compat.enterprise_tester.patches import custom_values
from testament.compat.enterprise_tester.schemas import Operation
from testament.domain import errors as e
from testament.domain.manual import RunFields
from testament.services import test_cases
from testament.services.executions import manual

__all__ = ["router"]

router = APIRouter(prefix="/api")


@router.patch("/scriptrun/{run_id}", status_code=204)
def patch_run_fields(run_id: str, call: Call, body: Operation | None = None) -> Response:
    """Set custom field values of a run in progress (a completed run's are refused, 403)."""
    values = custom_values(body)
    try:
        fields = RunFields.checked(None, values, None)
    except e.InvalidInput as exc:
        raise EtError(403, f"FieldValues {exc.rule}") from None
    manual.get_manual_run(call.ctx, call.principal, run_id)
    manual.record_steps(call.ctx, call.principal, run_id, [], fields=fields)
    return Response(status_code=204)


@router.patch("/script/{script_id}", status_code=204)
def patch_script_fields(script_id: str, call: Call, body: Operation | None = None) -> Response:
    """Set custom field values of a script: text values, kept as its tags."""
    values = custom_values(body)
    for name, value in values.items():
        if not isinstance(value, str):
            raise EtError(403, f"FieldValues.{name} must be text: a script's custom values are text")
    view = test_cases.get_test_case(call.ctx, call.principal, script_id)
    if view.test_case.kind != "manual":
        raise EtError(404, f"Script {script_id} was not found")
    try:
        test_cases.update_test_case(
            call.ctx, call.principal, script_id, tags={**view.test_case.tags, **values}
        )
    except e.InvalidInput as exc:
        raise EtError(403, f"FieldValues{exc.field.removeprefix('tags')} {exc.rule}") from None
    return Response(status_code=204)
