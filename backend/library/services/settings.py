"""Library settings: a registry of the known settings (type, limits, default, who may read them) with their
values in the database.

A setting's default comes from the environment where one exists (config.py), so an operator's
LIBRARY_LOAN_DAYS is the starting value; once an admin saves a value in the app, the database wins.
Every change is audited ("settings.update", with the old and new values).

To add a setting: one entry in REGISTRY. The API's schemas (schemas/settings.py), the OpenAPI document
and the admin's settings page are built from it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from marshmallow import fields, validate
from sqlalchemy import select

from ..extensions import db
from ..models import Setting
from . import audit


@dataclass(frozen=True)
class Spec:
    field: Callable[[], fields.Field]  # a fresh marshmallow field: validation and the spec
    default: Callable[[Mapping], object]  # the value before an admin sets one, from app.config
    description: str
    public: bool = False  # readable by anyone (GET /api/v1/settings/public), e.g. the name in the header


def _int(low, high):
    from ..schemas.common import Integer  # JSON Schema's integer (5.0 too), as the spec says

    return lambda: Integer(required=True, validate=validate.Range(low, high))


def _bool():
    from ..schemas.common import StrictBoolean

    return lambda: StrictBoolean(required=True)
def _code(max_length):
    """A barcode prefix: letters, digits and . _ / - (what Code 128 labels and the desk's fields take), may be empty."""
    return lambda: fields.String(required=True, validate=[
        validate.Length(max=max_length),
        validate.Regexp(r"^[A-Za-z0-9._/-]*$", error="Use letters, digits and . _ / - only.")],
        metadata={"maxLength": max_length, "pattern": r"^[A-Za-z0-9._/-]*$"})


def _text(max_length):
    from ..schemas.common import Text  # schemas import services; import here to keep the layers apart

    return lambda: Text(max_length, required=True)


REGISTRY: dict[str, Spec] = {
    "library_name": Spec(_text(100), lambda c: c["LIBRARY_NAME"],
                         "The library's name, shown in the header and page titles", public=True),
    "loan_days": Spec(_int(1, 365), lambda c: c["LIBRARY_LOAN_DAYS"], "Days a loan lasts"),
    "max_renewals": Spec(_int(0, 20), lambda c: c["LIBRARY_MAX_RENEWALS"],
                         "Renewals per loan (each extends the due date by a loan period)"),
    "max_loans": Spec(_int(1, 100), lambda c: c["LIBRARY_MAX_LOANS"], "Loans one member may have at once"),
    "max_holds": Spec(_int(0, 100), lambda c: c["LIBRARY_MAX_HOLDS"], "Open holds one member may have at once"),
    "hold_pickup_days": Spec(_int(1, 60), lambda c: c["LIBRARY_HOLD_PICKUP_DAYS"],
                             "Days a held copy waits on the hold shelf"),
    "self_registration": Spec(_bool(), lambda c: c["LIBRARY_SELF_REGISTRATION"],
                              "Visitors may sign up for a card online; staff approve each one", public=True),
    "copy_barcode_prefix": Spec(_code(20), lambda c: c["LIBRARY_COPY_BARCODE_PREFIX"],
                                "Prefix of automatic copy barcodes (C gives C000001, C000002 ...)"),
    "card_number_prefix": Spec(_code(20), lambda c: c["LIBRARY_CARD_NUMBER_PREFIX"],
                               "Prefix of automatic library card numbers (M gives M000001 ...)"),
    "barcode_digits": Spec(_int(1, 12), lambda c: c["LIBRARY_BARCODE_DIGITS"],
                           "Digits of the number in automatic barcodes and card numbers (zero-padded)"),
    "hold_auto_expire": Spec(_bool(), lambda c: c["LIBRARY_HOLD_AUTO_EXPIRE"],
                             "Clear holds not picked up in time automatically (the copy goes to the next in line or "
                             "back to the shelf) instead of leaving them on the hold shelf list for staff"),
    "notice_due_soon_days": Spec(_int(0, 30), lambda c: c["LIBRARY_NOTICE_DUE_SOON_DAYS"],
                                 "Days before the due date a reminder is e-mailed (0: none)"),
    "notice_overdue_every_days": Spec(_int(1, 90), lambda c: c["LIBRARY_NOTICE_OVERDUE_EVERY_DAYS"],
                                      "Days between overdue notices (the first goes the day after the due date)"),
    "notice_overdue_max": Spec(_int(0, 20), lambda c: c["LIBRARY_NOTICE_OVERDUE_MAX"],
                               "Overdue notices per loan at most (0: none)"),
}


def _stored() -> dict:
    return dict(db.session.execute(select(Setting.key, Setting.value)).all())


def current(config: Mapping | None = None) -> dict:
    """Every setting's value: the stored one, else the default from config (the app's by default)."""
    if config is None:
        from flask import current_app

        config = current_app.config
    stored = _stored()
    return {key: stored[key] if key in stored else spec.default(config) for key, spec in REGISTRY.items()}


def public(config: Mapping | None = None) -> dict:
    return {key: value for key, value in current(config).items() if REGISTRY[key].public}


def get(key: str, config: Mapping | None = None):
    return current(config)[key]


def update(changes: Mapping, config: Mapping | None = None) -> dict:
    """Save validated changes (keys of REGISTRY), audit what really changed, commit; returns every value."""
    before = current(config)
    changed = {key: [before[key], value] for key, value in changes.items() if before[key] != value}
    for key, (_old, value) in changed.items():
        row = db.session.get(Setting, key)
        actor = audit.current_actor()
        if row is None:
            db.session.add(Setting(key=key, value=value, updated_by_id=actor.id if actor else None))
        else:
            row.value, row.updated_by_id = value, actor.id if actor else None
    if changed:
        audit.record("settings.update", summary=changed)
    db.session.commit()
    return {**before, **{key: new for key, (_old, new) in changed.items()}}


def rules(config: Mapping | None = None):
    """The loan rules in force, for the circulation service."""
    from .circulation import Rules

    values = current(config)
    return Rules(values["loan_days"], values["max_renewals"], values["max_loans"], values["max_holds"],
                 values["hold_pickup_days"])
