"""Statistics schemas: the period and grouping asked for, and each dashboard panel's numbers."""

import marshmallow as ma
from marshmallow import fields, validate

from ..services.stats import (COLLECTION_BY, GROUPS, MAX_BUCKETS, MAX_DAYS, TOP_KINDS, Period, bucket_count,
                              default_period)
from .common import PageQuery

DATE_MIN, DATE_MAX = "2000-01-01", "2100-12-31"


class PeriodQuery(ma.Schema):
    """from and to: whole days in UTC, both included; by default the last 30 days."""

    class Meta:
        unknown = ma.EXCLUDE

    start = fields.Date(data_key="from", metadata={"description": "First day (UTC), included; default: 29 days "
                                                                  f"before `to`; from {DATE_MIN} to {DATE_MAX}"})
    end = fields.Date(data_key="to", metadata={"description": "Last day (UTC), included; default: today; not before "
                                                              f"`from`, and at most {MAX_DAYS} days from it"})

    @ma.validates_schema
    def sane_period(self, data, **kwargs):
        period = self._period(data)
        for key, day in (("from", period.start), ("to", period.end)):
            if not DATE_MIN <= day.isoformat() <= DATE_MAX:
                raise ma.ValidationError(f"A day from {DATE_MIN} to {DATE_MAX}.", key)
        if period.end < period.start:
            raise ma.ValidationError("The period ends before it starts.", "to")
        if period.days > MAX_DAYS:
            raise ma.ValidationError(f"At most {MAX_DAYS} days.", "from")

    @staticmethod
    def _period(data) -> Period:
        end = data.get("end") or default_period().end
        start = data.get("start") or default_period(end).start
        return Period(start, end)

    @ma.post_load
    def make_period(self, data, **kwargs):
        data["period"] = self._period(data)
        return data


class CirculationQuery(PeriodQuery):
    group = fields.String(load_default="day", validate=validate.OneOf(GROUPS),
                          metadata={"description": "Count per day, per week (Monday to Sunday) or per calendar month; "
                                                   f"at most {MAX_BUCKETS} of them in the period"})

    @ma.validates_schema
    def few_buckets(self, data, **kwargs):
        period = self._period(data)
        group = data.get("group", "day")
        if period.end >= period.start and bucket_count(period, group) > MAX_BUCKETS:
            # One sentence per unit, so that the unit is translated with it.
            raise ma.ValidationError({
                "day": f"At most {MAX_BUCKETS} days: group by a longer unit or choose a shorter period.",
                "week": f"At most {MAX_BUCKETS} weeks: group by a longer unit or choose a shorter period.",
                "month": f"At most {MAX_BUCKETS} months: group by a longer unit or choose a shorter period.",
            }[group], "group")


class TopQuery(PeriodQuery):
    kind = fields.String(load_default="titles", validate=validate.OneOf(TOP_KINDS))
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 100), metadata={"description": "At most 100"})


class CollectionQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    by = fields.String(load_default="subject", validate=validate.OneOf(COLLECTION_BY))
    months = fields.Integer(load_default=12, validate=validate.Range(1, 120),
                            metadata={"description": "Count copies lent since the first day of the month this many months "
                                                    "before the current one (whole months)"})


class WeedingQuery(PageQuery):
    months = fields.Integer(load_default=24, validate=validate.Range(1, 240),
                            metadata={"description": "Not lent in this many months (and in the library longer)"})


def _period_fields(**more):
    return {"from": fields.Date(required=True), "to": fields.Date(required=True), **more}


_COUNT = {"required": True}


class CirculationBucket(ma.Schema):
    start = fields.Date(**_COUNT)
    end = fields.Date(**_COUNT, metadata={"description": "Last day of the bucket, included"})
    loans = fields.Integer(**_COUNT, metadata={"description": "Checkouts made in the bucket"})
    returns = fields.Integer(**_COUNT, metadata={"description": "Loans returned in the bucket"})
    previous_start = fields.Date(**_COUNT, metadata={"description": "The same bucket a year earlier"})
    previous_end = fields.Date(**_COUNT)
    previous_loans = fields.Integer(**_COUNT)
    previous_returns = fields.Integer(**_COUNT)


CirculationTotals = ma.Schema.from_dict({key: fields.Integer(**_COUNT) for key in (
    "loans", "returns", "previous_loans", "previous_returns")}, name="CirculationTotals")

CirculationOut = ma.Schema.from_dict(_period_fields(
    group=fields.String(**_COUNT, metadata={"enum": list(GROUPS)}),
    previous_from=fields.Date(**_COUNT, metadata={
        "description": "The comparison period: 52 weeks earlier for days and weeks, the same months a year earlier"}),
    previous_to=fields.Date(**_COUNT),
    totals=fields.Nested(CirculationTotals, **_COUNT),
    items=fields.List(fields.Nested(CirculationBucket), **_COUNT),
), name="CirculationOut")


class CurrentOut(ma.Schema):
    at = fields.AwareDateTime(**_COUNT)
    members = fields.Integer(**_COUNT, metadata={"description": "Members whose card is active"})
    active_members = fields.Integer(**_COUNT, metadata={
        "description": "Of those, who borrowed in the last 12 months (this month and the 11 before)"})
    on_loan = fields.Integer(**_COUNT)
    overdue = fields.Integer(**_COUNT)
    holds_waiting = fields.Integer(**_COUNT)
    holds_ready = fields.Integer(**_COUNT, metadata={"description": "On the hold shelf"})
    copies = fields.Integer(**_COUNT, metadata={"description": "Copies in the collection (not lost or withdrawn)"})
    copies_available = fields.Integer(**_COUNT)


class TopItem(ma.Schema):
    id = fields.Integer(**_COUNT, metadata={"description": "The book's, author's or subject's id"})
    name = fields.String(**_COUNT, metadata={"description": "Title, author name or subject"})
    authors = fields.List(fields.String(), allow_none=True, **_COUNT, metadata={"description": "Titles only"})
    loans = fields.Integer(**_COUNT)


TopOut = ma.Schema.from_dict(_period_fields(
    kind=fields.String(**_COUNT, metadata={"enum": list(TOP_KINDS)}),
    items=fields.List(fields.Nested(TopItem), **_COUNT),
), name="TopOut")


class CollectionGroup(ma.Schema):
    group = fields.String(allow_none=True, **_COUNT, metadata={
        "description": "Subject, language code or decade (1990); null: books without one"})
    copies = fields.Integer(**_COUNT, metadata={"description": "Copies on the shelves or out (not lost or withdrawn)"})
    on_loan = fields.Integer(**_COUNT, metadata={"description": "Of those, on loan now"})
    lent = fields.Integer(**_COUNT, metadata={"description": "Of those, lent at least once since `since`"})


class CollectionOut(ma.Schema):
    by = fields.String(**_COUNT, metadata={"enum": list(COLLECTION_BY)})
    months = fields.Integer(**_COUNT)
    since = fields.AwareDateTime(**_COUNT, metadata={
        "description": "Midnight UTC on the first day of the month `months` months before the current one"})
    items = fields.List(fields.Nested(CollectionGroup), **_COUNT)


class WeedingItem(ma.Schema):
    copy_id = fields.Integer(**_COUNT)
    barcode = fields.String(**_COUNT)
    location = fields.String(allow_none=True, **_COUNT)
    call_number = fields.String(allow_none=True, **_COUNT)
    book_id = fields.Integer(**_COUNT)
    title = fields.String(**_COUNT)
    acquired_at = fields.AwareDateTime(**_COUNT, metadata={"description": "When the copy was added"})
    last_loaned_at = fields.AwareDateTime(allow_none=True, **_COUNT, metadata={"description": "Null: never lent"})
    loans = fields.Integer(**_COUNT, metadata={"description": "Loans ever"})
