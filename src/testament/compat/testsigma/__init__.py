"""Testsigma's plan-run API (the part CI pipelines use), mounted at `/testsigma`.

Clients call `/testsigma/api/v1/...` with `Authorization: Bearer <key>` (Testament's own
keys) and see camelCase JSON, epoch-millisecond times and integer ids (a stable number
per core entity, `services/surface_ids.py`). A Testsigma test plan run is a core plan run.

- `errors.py`: the vendor's error body and the table from domain errors to it.
- `translate.py`: results, statuses, counts, the result tree and JUnit, as pure functions.
- `router.py`: the routes; glue only.
"""
