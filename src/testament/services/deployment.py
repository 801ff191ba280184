"""What every process of one deployment must agree on with the database they share: the secret key.

The secret key signs cursors and encrypts what is stored secret (environment secrets, access keys'
secrets). Processes with different keys on one database refuse each other's cursors and cannot
read each other's secrets, so the first process to start records the key's fingerprint (a keyed
hash of a fixed text, which tells nothing of the key) and every later process whose key gives
another fingerprint refuses to start.
"""

import hashlib
import hmac

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from testament.services.context import AppContext
from testament.store.tables import deployment_settings

__all__ = ["WrongSecretKey", "confirm_secret_key", "key_fingerprint"]

FINGERPRINT = "secret_key_fingerprint"
_FINGERPRINTED_TEXT = b"testament: the secret key of this deployment"


class WrongSecretKey(Exception):
    """This process's secret key is not the one the database was first used with."""


def key_fingerprint(secret: str) -> str:
    return hmac.new(secret.encode(), _FINGERPRINTED_TEXT, hashlib.sha256).hexdigest()


def confirm_secret_key(app: AppContext) -> None:
    """Record this key's fingerprint if the database has none yet; raise WrongSecretKey if it has
    another one."""
    mine = key_fingerprint(app.settings.resolved_secret_key())
    if _recorded_fingerprint(app, mine) != mine:
        raise WrongSecretKey(_refusal(app))


def _recorded_fingerprint(app: AppContext, mine: str) -> str:
    """The fingerprint the database keeps, recording `mine` first if it keeps none (two first
    processes may both try: the one whose insert loses reads the winner's)."""
    for _ in range(2):
        try:
            with app.db.writer() as session, session.begin():
                found = session.execute(
                    select(deployment_settings.c.value).where(deployment_settings.c.name == FINGERPRINT)
                ).scalar_one_or_none()
                if found is not None:
                    return str(found)
                session.execute(
                    insert(deployment_settings).values(name=FINGERPRINT, value=mine, set_at=app.clock())
                )
                return mine
        except IntegrityError:
            continue
    raise RuntimeError("the secret key's fingerprint could not be recorded nor read")


def _refusal(app: AppContext) -> str:
    """One line: what is wrong and the setting that fixes it."""
    settings = app.settings
    whose = (
        "TESTAMENT_SECRET_KEY"
        if settings.secret_key
        else f"the key generated in {settings.data_dir / 'secret.key'} (no TESTAMENT_SECRET_KEY is set)"
    )
    return (
        f"{whose} is not the secret key this database ({settings.database_label()}) was first used with: "
        "give every process that shares the database the same TESTAMENT_SECRET_KEY"
    )
