"""Schemas of the desk's lists and actions: the pull list, the hold shelf, capture and clear, member lookup,
automatic barcodes."""

import marshmallow as ma
from marshmallow import fields, validate

from ..models.desk import SEQUENCE_KINDS
from ..services.holdshelf import PULL_SORTS, SHELF_SORTS
from .circulation import BARCODE_MAX, Code, CopyOut, HoldOut
from .common import PageQuery, StrictSchema, Text


class _HeldCopy(ma.Schema):
    """A hold, its member and the copy it concerns (the pull list's and the hold shelf's rows)."""

    hold_id = fields.Integer(required=True)
    placed_at = fields.AwareDateTime(required=True)
    book_id = fields.Integer(required=True)
    book_title = fields.String(required=True)
    member_id = fields.Integer(required=True)
    member_name = fields.String(required=True)
    card_number = fields.String(required=True)
    member_has_email = fields.Boolean(required=True, metadata={
        "description": "false: the member has no e-mail address, so no notice reaches them; tell them another way"})
    copy_id = fields.Integer(required=True)
    barcode = fields.String(required=True)
    location = fields.String(allow_none=True, required=True, metadata={"description": "The copy's own shelf"})
    call_number = fields.String(allow_none=True, required=True)


class PullItemOut(_HeldCopy):
    """A waiting hold and the copy on the shelf to fetch for it."""

    position = fields.Integer(required=True, metadata={"description": "Place in the book's queue (1 = next)"})


class PullQuery(PageQuery):
    sort = fields.String(load_default="placed_at", validate=validate.OneOf(PULL_SORTS), metadata={
        "description": "placed_at: oldest hold first; shelf: in shelf and call-number order, for one walk"})


class HoldShelfItemOut(_HeldCopy):
    """A ready hold: its copy waits on the hold shelf until pickup_by."""

    pickup_by = fields.AwareDateTime(required=True)
    expired = fields.Boolean(required=True, metadata={"description": "The pickup date has passed: clear it"})


class HoldShelfQuery(PageQuery):
    sort = fields.String(load_default="pickup_by", validate=validate.OneOf(SHELF_SORTS))
    expired = fields.Boolean(metadata={"description": "true: only those past their pickup date (to clear)"})


class CaptureIn(StrictSchema):
    barcode = Code(BARCODE_MAX, required=True)


class ClearOut(ma.Schema):
    cleared = fields.Nested(HoldOut, required=True, metadata={"description": "The hold, now expired"})
    hold = fields.Nested(HoldOut, allow_none=True, required=True, metadata={
        "description": "The next in line, for whom the copy now waits on the hold shelf; null: reshelve the copy"})
    copy = fields.Nested(CopyOut, required=True)


class MemberLookupQuery(PageQuery):
    q = Text(200, required=True, metadata={
        "description": "A card number (any case) or words of a name; the exact card comes first"})


class BarcodeIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(SEQUENCE_KINDS),
                         metadata={"description": "copy: a copy barcode; card: a library card number"})


class BarcodeOut(ma.Schema):
    kind = fields.String(required=True, metadata={"enum": list(SEQUENCE_KINDS)})
    barcode = fields.String(required=True, metadata={"description": "Reserved for you: never handed out again"})
