"""Use cases: one function per user intent.

Every door (native API, CLI, compatibility surfaces, workers) calls these. They own
transactions (through `UnitOfWork`), authorization (`principal.require`), idempotency and
quotas. They return domain objects or small read models; they never speak HTTP.
"""
