"""The periodic tasks and job kinds the worker knows: importing this module registers them (services/jobs.py)."""

from datetime import timedelta

from . import jobs


@jobs.periodic("holds.expire", timedelta(minutes=15))
def expire_holds(now) -> None:
    """Ready holds not picked up in time expire and their copies pass on, without waiting for a desk write."""
    from . import circulation, settings

    circulation.expire_holds(settings.rules(), now)
