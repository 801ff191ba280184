"""Users of a workspace: list, read, create, change and delete them.

Every key belongs to a user (`api_keys.user_id`); issuing a key for a new name makes its user.
Anyone who can read sees the workspace's users; only administrators change them. A user who
still has keys, assignments or runs cannot be deleted: those keep the user's name.
"""

from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, NotFound
from testament.domain.users import User, checked_name, user_id_for
from testament.services import read_side
from testament.services.context import AppContext
from testament.services.paging import Page, check_limit, decode_cursor, make_page
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.repository import Repository, owned_by
from testament.store.tables import api_keys, assignments, executions, users

__all__ = [
    "UNCHANGED",
    "USERS",
    "create_user",
    "delete_user",
    "get_user",
    "is_enabled",
    "list_users",
    "query_users",
    "update_user",
    "user_for_key",
    "user_named",
    "user_names",
]

UNCHANGED: Any = ...


def user_for_key(session: Session, workspace_id: str, name: str, now: Any) -> User:
    """The user a new key acts for: the workspace's user of that name, made if there is none.
    Runs inside the caller's unit of work."""
    user = session.get(User, user_id_for(workspace_id, name))
    if user is None:
        user = User.new(workspace_id, name, now)
        session.add(user)
        session.flush()
    return user


def _mine(session: Session, principal: Principal) -> Repository[User]:
    return Repository(session, User, principal.workspace_id, "user")


def list_users(
    app: AppContext, principal: Principal, *, limit: int = 50, cursor: str | None = None
) -> Page[User]:
    """The workspace's users in name order, a cursor page at a time."""
    principal.require(Permission.READ)
    check_limit(limit)
    after = decode_cursor(app.cursors, "users", cursor)
    with app.db.reading() as session:
        found = _mine(session, principal).keyset(users.c.name, None if after is None else str(after), limit)
    return make_page(app.cursors, "users", found, limit, key=lambda u: u.name)


def user_names(app: AppContext, principal: Principal) -> list[str]:
    """The names of the workspace's users, in order."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return sorted(session.scalars(select(users.c.name).where(owned_by(users, principal.workspace_id))))


def is_enabled(session: Session, user_id: str | None) -> bool:
    """Whether a user may act (their keys with them)."""
    return bool(session.scalar(select(users.c.enabled).where(users.c.id == user_id)))


def query_users(app: AppContext, principal: Principal, selection: Selection) -> tuple[list[User], int]:
    """The workspace's users in a surface's query window (over the users table)."""
    window = read_side.window(USERS, selection)
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _mine(session, principal).offset_page(window, users.c.name)


def get_user(app: AppContext, principal: Principal, user_id: str) -> User:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        user = _mine(session, principal).find(user_id.lower())
    if user is None:  # named as asked, not as the key lowercases it
        raise NotFound("user", user_id)
    return user


def user_named(app: AppContext, principal: Principal, name: str) -> User:
    return get_user(app, principal, user_id_for(principal.workspace_id, name))


def create_user(
    app: AppContext, principal: Principal, *, name: object, display_name: object = None, email: object = None
) -> User:
    """A user of the caller's workspace (administrators); 409 when the name is taken."""
    principal.require(Permission.ADMINISTER)
    now = app.clock()
    user = User.new(
        principal.workspace_id,
        checked_name("name", name),
        now,
        display_name=checked_name("display_name", display_name) if display_name else "",
        email=email,
    )
    with app.uow() as uow:
        if uow.session.get(User, user.id) is not None:
            raise Conflict(f"a user named {user.name} already exists")
        uow.session.add(user)
        uow.commit()
    return user


def update_user(
    app: AppContext,
    principal: Principal,
    user_id: str,
    *,
    display_name: object = None,
    email: object = UNCHANGED,
    enabled: object = None,
) -> User:
    """Change a user's display name, e-mail or whether it is enabled (administrators)."""
    principal.require(Permission.ADMINISTER)
    get_user(app, principal, user_id)
    with app.uow() as uow:
        user = uow.session.get(User, user_id.lower())
        assert user is not None  # found just above, in this workspace; users are only deleted by admins
        user.change(app.clock(), display_name=display_name, email=email, enabled=enabled)
        uow.commit()
        return user


def delete_user(app: AppContext, principal: Principal, user_id: str) -> None:
    """Delete a user who has no keys, assignments or runs (administrators)."""
    principal.require(Permission.ADMINISTER)
    user = get_user(app, principal, user_id)
    with app.uow() as uow:
        if _has_data(uow.session, user):
            raise Conflict(f"user {user.name} still has keys, assignments or runs; it cannot be deleted")
        uow.session.execute(users.delete().where(users.c.id == user.id))
        uow.commit()


def _has_data(session: Session, user: User) -> bool:
    ws = user.workspace_id
    return bool(
        session.scalar(
            select(
                or_(
                    exists().where(api_keys.c.user_id == user.id),
                    exists().where(owned_by(assignments, ws), assignments.c.assignee == user.name),
                    exists().where(owned_by(executions, ws), executions.c.created_by == user.name),
                    exists().where(owned_by(executions, ws), executions.c.run_by == user.name),
                )
            )
        )
    )


USERS = View(
    {
        "id": t.users.c.id,
        "name": t.users.c.name,
        "display_name": t.users.c.display_name,
        "email": t.users.c.email,
        "enabled": t.users.c.enabled,
    }
)
