"""The web UI's sign-in sessions: a person signs in with an API key once, and the browser then
holds a session cookie instead of the key.

The cookie holds a session id signed with the deployment's secret key (never the key itself); the
database keeps only a hash of that id, with the key it acts for, a CSRF token, its expiry and
when it ended. Sessions live in the database so any API process serves them. A session acts only
while its key may still act: `resume` checks the key on every request (through services/keys),
so a revoked key's sessions end with it. `resume` only reads (a GET never writes): a revoked key
stays revoked, so its sessions never act again.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import insert, select, update

from testament.domain.access import Principal
from testament.domain.errors import Unauthenticated
from testament.services import keys
from testament.services.context import AppContext
from testament.store.tables import ui_sessions

__all__ = ["UiSession", "end_session", "resume", "sign_in"]

_SALT = "testament.ui-session"


@dataclass(frozen=True)
class UiSession:
    """A signed-in browser: who it acts as, the token its forms carry, when it ends."""

    principal: Principal
    csrf_token: str
    expires_at: datetime


def _serializer(app: AppContext) -> URLSafeSerializer:
    return URLSafeSerializer(app.settings.resolved_secret_key(), salt=_SALT)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _session_id(app: AppContext, cookie: str) -> str | None:
    try:
        value = _serializer(app).loads(cookie)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def sign_in(app: AppContext, api_key: str) -> tuple[str, UiSession]:
    """Start a session for a valid API key: the cookie value (a signed session id) and the
    session. An unknown, revoked or disabled key is Unauthenticated and starts nothing."""
    principal = keys.authenticate_token(app, api_key.strip())
    session_id = secrets.token_urlsafe(32)
    now = app.clock()
    session = UiSession(
        principal=principal,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(seconds=app.settings.ui_session_s),
    )
    with app.uow() as uow:
        uow.session.execute(
            insert(ui_sessions).values(
                id_hash=_hash(session_id),
                key_id=principal.key_id,
                workspace_id=principal.workspace_id,
                csrf_token=session.csrf_token,
                created_at=now,
                expires_at=session.expires_at,
            )
        )
        uow.commit()
    return _serializer(app).dumps(session_id), session


def resume(app: AppContext, cookie: str) -> UiSession:
    """The session a cookie names, if it is still going: Unauthenticated when the signature is
    wrong, the session is unknown, ended or expired, or its key may no longer act (revoked, or
    its user disabled)."""
    session_id = _session_id(app, cookie)
    if session_id is None:
        raise Unauthenticated("the session is not valid: sign in again")
    id_hash = _hash(session_id)
    with app.db.reading() as session:
        row = session.execute(select(ui_sessions).where(ui_sessions.c.id_hash == id_hash)).first()
    if row is None or row.ended_at is not None:
        raise Unauthenticated("the session has ended: sign in again")
    if row.expires_at <= app.clock():
        raise Unauthenticated("the session has expired: sign in again")
    principal = keys.acting_principal(app, row.key_id)
    if principal is None:
        raise Unauthenticated("the session's key was revoked: sign in with another key")
    return UiSession(principal=principal, csrf_token=row.csrf_token, expires_at=row.expires_at)


def end_session(app: AppContext, cookie: str) -> None:
    """Sign out: the session ends at once (an unknown or already ended one is left as it is)."""
    session_id = _session_id(app, cookie)
    if session_id is not None:
        _end(app, _hash(session_id))


def _end(app: AppContext, id_hash: str) -> None:
    with app.uow() as uow:
        uow.session.execute(
            update(ui_sessions)
            .where(ui_sessions.c.id_hash == id_hash, ui_sessions.c.ended_at.is_(None))
            .values(ended_at=app.clock())
        )
        uow.commit()
