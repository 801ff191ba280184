"""The `connect` runner: an offline simulator for Amazon Connect test cases.

It runs a Testing-language test case (`testing.py`) against Flow-language flows (`flow.py`,
`actions.py`) on a virtual clock (`clock.py`), deterministically and in milliseconds. Flows,
queues, hours and Lambda mappings come only from `ctx.resource`. The spec is AWS's Testing-language
and Flow-language reference; decisions it leaves to us are in the module docstrings.

Modules: `runner` (load, wire, main loop), `flow` (interpreter, trace), `actions` (one function
per flow action), `testing` (observations, action chains, records), `paths` (the `$.` data
model), `matching` (Inclusion/Similarity), `overrides`, `hours`, `lambdas`, `clock`, `model`
(the signals and results they share), `entry` (the entry point's channel and flow) and `arns`
(the instance ARN; the Connect surface writes its ARNs with it too).
"""

from testament.runners.connect.runner import ConnectRunner

__all__ = ["ConnectRunner"]
