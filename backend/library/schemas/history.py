"""Reading-history schemas: a member's past loans and whether they are kept."""

import marshmallow as ma
from marshmallow import fields

from .common import StrictBoolean, StrictSchema

KEEP_HISTORY = ("Keep the member's past loans for them to see (only they can). Off: each loan is anonymised when it "
                "closes, and what is closed already at once; counts stay right, nobody is named.")


class PrivacyOut(ma.Schema):
    keep_history = fields.Boolean(required=True, metadata={"description": KEEP_HISTORY})


class PrivacyIn(StrictSchema):
    keep_history = StrictBoolean(required=True, metadata={"description": KEEP_HISTORY})


class PrivacyChangeOut(PrivacyOut):
    forgotten = fields.Integer(required=True, metadata={"description": "Past loans anonymised by this change"})


class HistoryItem(ma.Schema):
    loan_id = fields.Integer(required=True)
    book_id = fields.Integer(required=True)
    title = fields.String(required=True)
    authors = fields.List(fields.String(), required=True)
    loaned_at = fields.AwareDateTime(required=True)
    returned_at = fields.AwareDateTime(required=True)
