"""API keys: issue and revoke them, and turn a presented credential into a principal.

A key is one credential in three forms: a Bearer `token` for the native API and the
vendor surfaces, and an `access_key_id` / `secret_access_key` pair for AWS Signature V4.
Only a hash of the token is stored; the SigV4 secret must be recoverable to verify
signatures, so it is stored encrypted with the server's secret key.
"""

import hashlib
import secrets
import string
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal, Role
from testament.domain.errors import NotFound, Unauthenticated
from testament.domain.model import ApiKey
from testament.domain.users import checked_name
from testament.kit.ids import new_id, new_secret
from testament.services import users, workspaces
from testament.services.context import AppContext
from testament.store.repository import Repository
from testament.store.tables import api_keys
from testament.store.tables import users as users_table

__all__ = [
    "IssuedKey",
    "acting_principal",
    "authenticate_access_key",
    "authenticate_token",
    "create_key",
    "list_keys",
    "revoke_key",
]

TOKEN_PREFIX = "tst_"
_ALNUM = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class IssuedKey:
    """Shown once, at creation; the server keeps no readable copy of the token."""

    id: str
    workspace_id: str
    user_name: str
    role: Role
    token: str
    access_key_id: str
    secret_access_key: str


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(
    app: AppContext, workspace_id: str, role: Role, user_name: str = "", *, principal: Principal | None = None
) -> IssuedKey:
    """Issue a key for a workspace: an operator's command (CLI, no principal), or an admin's for
    their own workspace (the web UI's settings)."""
    if principal is not None:
        principal.require(Permission.ADMINISTER)
        if workspace_id != principal.workspace_id:
            raise NotFound("workspace", workspace_id)
    user_name = checked_name("user", user_name or role.value)
    token = TOKEN_PREFIX + new_secret(32)
    access_key_id = "AKTS" + "".join(secrets.choice(_ALNUM) for _ in range(16))
    secret_access_key = new_secret(30)[:40]
    key = ApiKey(
        id=new_id(),
        workspace_id=workspace_id,
        user_name=user_name,
        role=role,
        token_hash=_hash_token(token),
        access_key_id=access_key_id,
        secret_ciphertext=app.secret_box.encrypt(secret_access_key.encode()).decode(),
        created_at=app.clock(),
    )
    with app.uow() as uow:
        if uow.get_workspace(workspace_id) is None:
            raise NotFound("workspace", workspace_id)
        # a key belongs to a user: the workspace's user of that name, made with the first key
        key.user_id = users.user_for_key(uow.session, workspace_id, user_name, key.created_at).id
        uow.session.add(key)
        uow.commit()
    return IssuedKey(key.id, workspace_id, user_name, role, token, access_key_id, secret_access_key)


def revoke_key(app: AppContext, key_id: str, *, principal: Principal | None = None) -> ApiKey:
    """Revoke a key at once. Through the API an admin revokes keys of their own workspace;
    an operator (CLI, no principal) may revoke any."""
    if principal is not None:
        principal.require(Permission.ADMINISTER)
    with app.uow() as uow:
        if principal is None:  # an operator
            key = uow.session.get(ApiKey, key_id)
        else:
            key = Repository(uow.session, ApiKey, principal.workspace_id, "key").find(key_id)
        if key is None:
            raise NotFound("key", key_id)
        key.revoked_at = key.revoked_at or app.clock()
        uow.commit()
        return key


def list_keys(app: AppContext, workspace_id: str, *, principal: Principal | None = None) -> list[ApiKey]:
    """A workspace's keys, oldest first; secrets are never part of them."""
    if principal is not None:
        principal.require(Permission.ADMINISTER)
        if workspace_id != principal.workspace_id:
            raise NotFound("workspace", workspace_id)
    with app.db.reading() as session:
        if not workspaces.exists(session, workspace_id):
            raise NotFound("workspace", workspace_id)
        keys = Repository(session, ApiKey, workspace_id, "key")
        return list(session.scalars(keys.select().order_by(api_keys.c.id)))


def _principal(key: ApiKey) -> Principal:
    return Principal(workspace_id=key.workspace_id, key_id=key.id, user_name=key.user_name, role=key.role)


def _enabled(session: Session, key: ApiKey) -> bool:
    """A key acts while it is not revoked and its user is enabled."""
    return key.revoked_at is None and users.is_enabled(session, key.user_id)


def acting_principal(app: AppContext, key_id: str) -> Principal | None:
    """The principal of a key that may still act (not revoked, its user enabled), or None: what
    a web UI session checks on each request, since it outlives the moment its key was shown."""
    with app.db.reading() as session:
        key = session.get(ApiKey, key_id)
        if key is None or not _enabled(session, key):
            return None
    return _principal(key)


# Every API call runs it: one statement, built once, and Core rows (no ORM object is loaded).
# The same rule as `_enabled`: the key is not revoked and its user is enabled.
_BY_TOKEN = (
    select(api_keys.c.workspace_id, api_keys.c.id, api_keys.c.user_name, api_keys.c.role)
    .join(users_table, users_table.c.id == api_keys.c.user_id)
    .where(
        api_keys.c.token_hash == bindparam("token_hash"),
        api_keys.c.revoked_at.is_(None),
        users_table.c.enabled.is_(True),
    )
)


def authenticate_token(app: AppContext, token: str) -> Principal:
    """The principal of a Bearer token, read afresh on every call: a key revoked or a user
    disabled a moment ago (by any process) no longer acts."""
    with app.db.reading() as session:
        row = session.execute(_BY_TOKEN, {"token_hash": _hash_token(token)}).first()
    if row is None:
        raise Unauthenticated("the API key is not valid")
    return Principal(workspace_id=row.workspace_id, key_id=row.id, user_name=row.user_name, role=row.role)


def authenticate_access_key(app: AppContext, access_key_id: str) -> tuple[Principal, str]:
    """The principal and the SigV4 secret for an access key id; the caller verifies the signature."""
    with app.db.reading() as session:
        key = session.scalars(select(ApiKey).where(api_keys.c.access_key_id == access_key_id)).first()
        if key is None or not _enabled(session, key):
            raise Unauthenticated("the access key id is not valid")
    return _principal(key), app.secret_box.decrypt(key.secret_ciphertext.encode()).decode()
