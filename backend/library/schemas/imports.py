"""Catalog import schemas: the upload's query, the preview's mapping, the commit's policy, and the import as shown."""

import marshmallow as ma
from marshmallow import fields, validate

from ..models.imports import FILENAME_MAX, IMPORT_FORMATS, IMPORT_STATES, POLICIES
from ..services.bookcsv import FIELD_LABELS, FIELDS, SEPARATORS
from .books import BookQuery
from .common import PageQuery, StrictSchema, Text
from .jobs import JobOut


class UploadQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    filename = Text(FILENAME_MAX, allow_none=True, metadata={
        "description": "The file's name as the user knows it (shown in the report; its extension helps to tell the "
                       "format when the content does not)"})


class Mapping(StrictSchema):
    # "fields" is a Schema attribute of marshmallow's own: loaded as column_fields
    column_fields = fields.List(fields.String(allow_none=True, validate=validate.OneOf(FIELDS)), required=True,
                         data_key="fields", validate=validate.Length(max=200), metadata={
                             "description": "For each column of the CSV file, in order, the field it fills, or null "
                                            "to leave it out"})
    separator = fields.String(load_default=";", validate=validate.OneOf(SEPARATORS), metadata={
        "description": "What separates several values in one cell (authors, subjects, barcodes ...)"})


class PreviewIn(StrictSchema):
    mapping = fields.Nested(Mapping, allow_none=True, metadata={
        "description": "CSV only: which column fills which field (default: the suggested mapping)"})


class CommitIn(StrictSchema):
    policy = fields.String(required=True, validate=validate.OneOf(POLICIES), metadata={
        "description": "What a duplicate (same ISBN, or likely the same book) becomes: skip it, add its copies to the "
                       "existing book, or add it anyway as a book of its own"})


class ImportQuery(PageQuery):
    pass


_COUNT = {"type": "integer"}
_REPORT = {
    "type": "object",
    "description": "Totals per outcome (new, duplicate, likely_duplicate, invalid); after a commit also added, "
                   "copies_added, skipped, merged; the first 100 problems (invalid records and why), warnings "
                   "(what was left out of a record) and duplicates (with the book they duplicate)",
    "properties": {name: _COUNT for name in ("records", "new", "duplicate", "likely_duplicate", "invalid", "added",
                                             "copies_added", "skipped", "merged", "warnings")},
}


class JobProgress(JobOut):
    """The import's job as far as the import page follows it (GET /api/v1/jobs/{id} has the rest)."""

    class Meta:
        fields = ("id", "state", "progress_done", "progress_total", "error")


class ImportOut(ma.Schema):
    id = fields.Integer(required=True)
    state = fields.String(required=True, metadata={"enum": list(IMPORT_STATES)})
    format = fields.String(required=True, metadata={"enum": list(IMPORT_FORMATS)})
    filename = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "Bytes"})
    columns = fields.List(fields.String(), required=True, allow_none=True, metadata={
        "description": "A CSV file's header row"})
    sample = fields.List(fields.String(), required=True, allow_none=True, metadata={
        "description": "A CSV file's first row (each value cut at 200 characters), to map the columns by"})
    mapping = fields.Dict(required=True, allow_none=True, metadata={"description": "The CSV mapping in use"})
    suggested_mapping = fields.Dict(required=True, allow_none=True, metadata={
        "description": "For a CSV file: the mapping its header suggests"})
    fields_available = fields.Dict(required=True, allow_none=True, metadata={
        "description": "For a CSV file: the fields a column can fill, with their labels"})
    policy = fields.String(required=True, allow_none=True, metadata={"enum": [*POLICIES, None]})
    preview = fields.Dict(required=True, allow_none=True, metadata=_REPORT)
    result = fields.Dict(required=True, allow_none=True, metadata=_REPORT)
    error = fields.String(required=True, allow_none=True)
    records_total = fields.Integer(required=True, allow_none=True)
    job = fields.Nested(JobProgress, required=True, allow_none=True, metadata={
        "description": "The preview or commit job: its progress in records"})
    rejected_records = fields.Boolean(required=True, metadata={
        "description": "Whether the invalid records can be downloaded (GET .../rejected) to fix and import again"})
    created_at = fields.AwareDateTime(required=True)
    finished_at = fields.AwareDateTime(required=True, allow_none=True)


class ExportQuery(BookQuery):
    """The book list's filters; paging and sorting do not apply (books come in id order)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("exclude", ("page", "per_page", "sort", "facets", "facet_limit", "cursor"))
        super().__init__(*args, **kwargs)


FIELD_CHOICES = {name: FIELD_LABELS[name] for name in FIELDS}
