"""The composition root's web half: each compatibility surface built as a sub-app, by where it is mounted.

It lives apart from `testament.bootstrap` so that building the engine never imports the web
framework or a surface.
"""

from starlette.types import ASGIApp

from testament.compat.aws_connect.router import create_aws_connect_app
from testament.compat.enterprise_tester.router import create_enterprise_tester_app
from testament.compat.testinvite import callback_body, create_testinvite_app
from testament.compat.testsigma.router import create_testsigma_app
from testament.engine.callbacks import Render
from testament.services.context import AppContext

__all__ = ["CALLBACK_BODY", "build_surfaces"]

# Completion callbacks are TestInvite's: the deliverer posts them in that surface's shape.
CALLBACK_BODY: Render = callback_body


def build_surfaces(ctx: AppContext) -> dict[str, ASGIApp]:
    return {
        "/aws/connect": create_aws_connect_app(ctx),
        "/testsigma": create_testsigma_app(ctx),
        "/enterprise-tester": create_enterprise_tester_app(ctx),
        "/testinvite": create_testinvite_app(ctx),
    }
