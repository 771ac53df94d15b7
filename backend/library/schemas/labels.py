"""Label sheet schemas: which copies or members, which layout, which sheet."""

import marshmallow as ma
from marshmallow import fields, validate

from ..services.labels import LAYOUTS, MAX_LABELS, SHEETS
from .common import ID_MAX


def QueryId():  # noqa: N802 - ids in a query string are text, so not strict
    return fields.Integer(validate=validate.Range(1, ID_MAX))


class LabelSheetOut(ma.Schema):
    name = fields.String(required=True, metadata={"description": "The Avery product the sheet fits"})
    description = fields.String(required=True)
    paper = fields.String(required=True, metadata={"enum": ["A4", "Letter"]})
    labels_per_sheet = fields.Integer(required=True)
    layouts = fields.List(fields.String(metadata={"enum": list(LAYOUTS)}), required=True)


class LabelSheetsOut(ma.Schema):
    items = fields.List(fields.Nested(LabelSheetOut), required=True)


class _SheetQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    sheet = fields.String(required=True, validate=validate.OneOf(list(SHEETS)), metadata={
        "description": "The label sheet (GET /labels/sheets); a sheet that does not take the layout is a 422"})
    skip = fields.Integer(load_default=0, validate=validate.Range(0, 79), metadata={
        "description": "Labels to leave blank at the start of the first sheet (one that was partly used); fewer than "
                       "the sheet has, or a 422"})

    def _check_fits(self, data, layout):
        sheet = SHEETS[data["sheet"]]
        errors = {}
        if layout not in sheet.layouts:
            errors["sheet"] = [f"{sheet.name} does not fit {layout} labels; it takes {', '.join(sheet.layouts)}."]
        if data["skip"] >= sheet.per_page:
            errors["skip"] = [f"A {sheet.name} sheet has {sheet.per_page} labels."]
        if errors:
            raise ma.ValidationError(errors)


class CopyLabelQuery(_SheetQuery):
    layout = fields.String(load_default="barcode", validate=validate.OneOf(["barcode", "spine"]), metadata={
        "description": "barcode: title, Code 128 barcode and call number; spine: the call number, large"})
    copy_id = fields.List(QueryId(), validate=validate.Length(max=MAX_LABELS), metadata={
        "description": "Copies by id (repeat the parameter). One of copy_id, book_id and added_on is required; given "
                       "together, a copy must match each; a choice that matches no copy is a 422"})
    book_id = fields.Integer(validate=validate.Range(1, ID_MAX), metadata={"description": "Every copy of a book"})
    added_on = fields.Date(metadata={"description": "The copies added on this day (UTC)"})

    @ma.validates_schema
    def fits(self, data, **kwargs):
        if not (data.get("copy_id") or data.get("book_id") or data.get("added_on")):
            raise ma.ValidationError("Choose the copies: copy_id, book_id or added_on.", "_schema")
        self._check_fits(data, data["layout"])


class CardLabelQuery(_SheetQuery):
    member_id = fields.List(QueryId(), required=True, validate=validate.Length(min=1, max=MAX_LABELS), metadata={
        "description": "Members by id (repeat the parameter); ids that match no member are a 422"})

    @ma.validates_schema
    def fits(self, data, **kwargs):
        self._check_fits(data, "card")
