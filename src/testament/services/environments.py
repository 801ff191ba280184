"""Environments: named variables (and encrypted secrets) that a run uses."""

from typing import Any

from testament.domain.access import Permission, Principal
from testament.domain.errors import InvalidInput
from testament.domain.model import Environment
from testament.kit.ids import new_id
from testament.services import named, references
from testament.services.context import AppContext
from testament.services.paging import Page

__all__ = [
    "create_environment",
    "delete_environment",
    "get_environment",
    "list_environments",
    "secrets_match",
    "update_environment",
]


def _check_variables(variables: dict[str, Any]) -> dict[str, Any]:
    for key in variables:
        if not 1 <= len(key) <= 128:
            raise InvalidInput(f"variables.{key}", "names are 1 to 128 characters")
    return dict(variables)


def _encrypt_secrets(
    app: AppContext, secrets: dict[str, Any], variables: dict[str, Any], current: dict[str, str] | None = None
) -> dict[str, str]:
    """Secret values are kept only encrypted; a name is either a variable or a secret.
    A value of None keeps that secret's current value (clients never see it to send it back)."""
    kept = current or {}
    for key, value in secrets.items():
        if not 1 <= len(key) <= 128:
            raise InvalidInput(f"secrets.{key}", "names are 1 to 128 characters")
        if key in variables:
            raise InvalidInput(f"secrets.{key}", "is also a plain variable; give it once, as a secret")
        if value is None and key not in kept:
            raise InvalidInput(f"secrets.{key}", "has no current value to keep; give its value")
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"secrets.{key}", "must be a string")
    return {
        key: kept[key] if value is None else app.secret_box.encrypt(value.encode()).decode()
        for key, value in secrets.items()
    }


def secrets_match(app: AppContext, env: Environment, secrets: dict[str, str]) -> bool:
    """Whether the environment keeps exactly these secrets. Values are compared decrypted,
    in memory only: they are never logged or returned."""
    if set(env.secrets) != set(secrets):
        return False
    return all(app.secret_box.decrypt(env.secrets[k].encode()).decode() == v for k, v in secrets.items())


def create_environment(
    app: AppContext,
    principal: Principal,
    *,
    name: str,
    variables: dict[str, Any],
    secrets: dict[str, Any] | None = None,
) -> Environment:
    principal.require(Permission.WRITE)
    now = app.clock()
    plain = _check_variables(variables)
    env = Environment(
        id=new_id(),
        workspace_id=principal.workspace_id,
        name=named.check_name(name),
        variables=plain,
        created_at=now,
        updated_at=now,
        secrets=_encrypt_secrets(app, secrets or {}, plain),
    )
    with app.uow() as uow:
        named.save(uow, env, "environment")
    return env


def update_environment(
    app: AppContext,
    principal: Principal,
    environment_id: str,
    *,
    name: str | None = None,
    variables: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> Environment:
    """Given `variables` or `secrets` replace the current ones whole."""
    principal.require(Permission.WRITE)
    with app.uow() as uow:
        env = named.load(uow.session, references.ENVIRONMENT, principal, environment_id)
        if name is not None:
            env.name = named.check_name(name)
        if variables is not None:
            env.variables = _check_variables(variables)
        if secrets is not None:
            env.secrets = _encrypt_secrets(app, secrets, env.variables, env.secrets)
        elif variables is not None and set(env.secrets) & set(env.variables):
            raise InvalidInput("variables", "names a secret of this environment; a name is one or the other")
        env.updated_at = app.clock()
        named.save(uow, env, "environment")
    return env


def get_environment(app: AppContext, principal: Principal, ident: str) -> Environment:
    """An environment by id or name."""
    return named.read_named(app, principal, references.ENVIRONMENT, ident)


def list_environments(
    app: AppContext, principal: Principal, *, limit: int = 50, cursor: str | None = None
) -> Page[Environment]:
    return named.list_named(app, principal, references.ENVIRONMENT, limit=limit, cursor=cursor)


def delete_environment(app: AppContext, principal: Principal, ident: str) -> None:
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # a start that uses it cannot slip in between
        uow.session.delete(named.load(uow.session, references.ENVIRONMENT, principal, ident))
        uow.commit()
