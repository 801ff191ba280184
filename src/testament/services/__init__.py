"""Use cases: one function per user intent.

Every door (native API, CLI, compatibility surfaces, workers) calls these. They own
transactions (through `UnitOfWork`), authorization (`principal.require`), idempotency and
quotas. They return domain objects or small read models; they never speak HTTP.

One aggregate per module (`suites.py`, `keys.py`, the `executions` and `plan_runs` packages...):
tests/unit/test_one_aggregate_per_module.py says which module holds which, and which reads
across aggregates are kept on purpose.
"""
