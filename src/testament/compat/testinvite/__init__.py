"""TestInvite's test-instance integration API, at /testinvite/api/integration/rest/v1."""

from testament.compat.testinvite.router import callback_body, create_testinvite_app

__all__ = ["callback_body", "create_testinvite_app"]
