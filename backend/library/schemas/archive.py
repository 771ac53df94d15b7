"""Archived books: out of the catalog, kept with their history (services/retire.py)."""

from marshmallow import fields, validate

from .books import BookOut
from .common import PageQuery, page_of


class ArchivedBookOut(BookOut):
    archived_at = fields.AwareDateTime(required=True, metadata={"description": "When it left the catalog"})


class ArchiveQuery(PageQuery):
    sort = fields.String(load_default="-archived_at", validate=validate.OneOf(["-archived_at", "title"]),
                         metadata={"description": "-archived_at: the most recently archived first"})


ArchivedBookPage = page_of(ArchivedBookOut, "ArchivedBookPage")
