"""Which value a run's variable has when several places give it: one rule, lowest first.

    environment < plan machine < data set < the run's runtime data < the start's own variables

A later layer overrides an earlier one name by name. The result is what an execution stores;
the worker then puts it over the content's own defaults (and the server's built-in variables),
so anything given for a run beats what the test case says by itself.
"""

from collections.abc import Mapping
from typing import Any

__all__ = ["run_variables"]


def run_variables(
    *,
    environment: Mapping[str, Any],
    machine: Mapping[str, Any],
    data_set: Mapping[str, Any],
    runtime_data: Mapping[str, Any],
    given: Mapping[str, Any],
) -> dict[str, Any]:
    """An execution's variables: each layer over the ones before it (see the module's rule)."""
    return {**environment, **machine, **data_set, **runtime_data, **given}
