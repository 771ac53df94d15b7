"""The throttle of public account requests ("Forgot your password?", sign-up): so many an hour per email and
per client address, counted in the database so every worker sees the same numbers.

The count is kept by the email as typed, whether an account has it or not, so a refusal (429) says nothing
about which accounts exist. Requests older than the window are deleted on the next request.
"""

import math
from datetime import timedelta

from sqlalchemy import delete, select

from .. import clock
from ..errors import Problem
from ..extensions import db
from ..models import AccountRequest
from ..models.accounts import EMAIL_MAX

WINDOW = timedelta(hours=1)
# kind -> (per email, per client address) in WINDOW. A class signing up from one school address fits in 30.
LIMITS = {"reset": (3, 20), "register": (3, 30)}


def admit(kind: str, email: str, address: str | None) -> None:
    """Count one request of `kind`, or refuse it with 429 and Retry-After when a limit is reached."""
    now = clock.now()
    key, address = email.strip().lower()[:EMAIL_MAX], (address or "-")[:45]
    db.session.execute(delete(AccountRequest).where(AccountRequest.requested_at <= now - WINDOW))
    per_email, per_address = LIMITS[kind]
    for column, value, limit in ((AccountRequest.email_key, key, per_email),
                                 (AccountRequest.remote_addr, address, per_address)):
        times = db.session.scalars(
            select(AccountRequest.requested_at)
            .where(AccountRequest.kind == kind, column == value, AccountRequest.requested_at > now - WINDOW)
            .order_by(AccountRequest.requested_at.desc()).limit(limit)
        ).all()
        if len(times) >= limit:
            wait = max(1, math.ceil((times[-1] + WINDOW - now).total_seconds()))
            db.session.commit()  # the clean-up stands
            raise Problem(429, "Too many requests like this one; try again later.", headers={"Retry-After": str(wait)})
    db.session.add(AccountRequest(kind=kind, email_key=key, remote_addr=address, requested_at=now))
