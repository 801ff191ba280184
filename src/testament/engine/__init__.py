"""The engine: gets queued executions run somewhere, and makes sure each one ends.

- `queue`: the durable queue is the executions table; claims, leases, records, recovery.
- `worker`: runs one claimed execution through its runner, with heartbeats, stop,
  timeout and attempts.
- `executor`: where runs happen, chosen by name (`local`: an in-process thread pool).

Must not happen here: business rules about who may start what (that is services/), or
knowledge of any test kind (that is runners/).
"""
