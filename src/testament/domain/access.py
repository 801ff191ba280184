"""Roles, permissions and the principal that every use case checks."""

from dataclasses import dataclass
from enum import StrEnum

from testament.domain.errors import Forbidden, InvalidInput

__all__ = ["Permission", "Principal", "Role", "parse_role", "require_may_run_assignment"]


class Permission(StrEnum):
    READ = "read"  # see test assets, executions and records
    WRITE = "write"  # create and change test cases, suites, plans, environments; publish
    EXECUTE = "execute"  # start and stop executions
    DELETE = "delete"  # delete test assets
    ADMINISTER = "administer"  # manage keys and workspace settings
    RUN_ANY_ASSIGNMENT = "run_any_assignment"  # run assignments given to others, not only one's own
    READ_DELIVERIES = "read_deliveries"  # see where completion callbacks go and why delivering them failed


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    TESTER = "tester"
    VIEWER = "viewer"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.TESTER: frozenset({Permission.READ, Permission.WRITE, Permission.EXECUTE}),
    Role.MANAGER: frozenset(
        {
            Permission.READ,
            Permission.WRITE,
            Permission.EXECUTE,
            Permission.DELETE,
            Permission.RUN_ANY_ASSIGNMENT,
            Permission.READ_DELIVERIES,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


def parse_role(value: str) -> Role:
    try:
        return Role(value.lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput("role", f"must be one of {allowed}") from None


@dataclass(frozen=True)
class Principal:
    """Who is calling: one API key, acting in exactly one workspace."""

    workspace_id: str
    key_id: str
    user_name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in _GRANTS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"role {self.role.value} may not {permission.value}", permission=permission)


def require_may_run_assignment(principal: Principal, assignee: str) -> None:
    """Testers run the assignments given to them; managers and admins run any."""
    principal.require(Permission.EXECUTE)
    if assignee != principal.user_name and not principal.can(Permission.RUN_ANY_ASSIGNMENT):
        raise Forbidden(
            f"this assignment is {assignee}'s; role {principal.role.value} runs only its own",
            permission=Permission.RUN_ANY_ASSIGNMENT,
        )
