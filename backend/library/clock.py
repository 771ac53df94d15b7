"""The current time, in one place, so tests can move it (config LIBRARY_CLOCK: a callable returning an aware datetime)."""

from datetime import datetime, timezone

from flask import current_app, has_app_context


def now() -> datetime:
    if has_app_context() and (clock := current_app.config.get("LIBRARY_CLOCK")):
        return clock()
    return datetime.now(timezone.utc)
