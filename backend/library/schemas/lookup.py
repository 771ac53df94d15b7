"""ISBN lookup and cover schemas by role: LookupOut, CoverOut."""

import marshmallow as ma
from marshmallow import fields


class PrefilledAuthor(ma.Schema):
    name = fields.String(required=True)


class PrefilledBook(ma.Schema):
    """A book as a provider describes it, in BookIn's shape: every field is valid for POST /api/v1/books."""

    title = fields.String(required=True)
    subtitle = fields.String()
    authors = fields.List(fields.Nested(PrefilledAuthor))
    isbn = fields.String(required=True, metadata={"description": "ISBN-13, digits only"})
    publisher = fields.String()
    published_year = fields.Integer()
    language = fields.String(metadata={"description": "ISO 639-1 code"})
    subjects = fields.List(fields.String())
    description = fields.String()
    cover_id = fields.String(metadata={"description": "The provider's cover, already stored (see CoverOut)"})


class CoverUrls(ma.Schema):
    """A stored cover: its id (for a book's cover_id) and the URLs of its two sizes (root-relative)."""

    id = fields.String(required=True, metadata={"description": "32 hexadecimal digits; set it as a book's cover_id"})
    list = fields.String(required=True, metadata={"description": "Small WebP image for result lists"})
    detail = fields.String(required=True, metadata={"description": "Large WebP image for the book page"})


class CoverOut(CoverUrls):
    """A stored cover, with the size of its large image."""

    width = fields.Integer(required=True, metadata={"description": "Width of the detail image in pixels"})
    height = fields.Integer(required=True, metadata={"description": "Height of the detail image in pixels"})


class LookupOut(ma.Schema):
    isbn = fields.String(required=True, metadata={"description": "The ISBN looked up, as ISBN-13"})
    provider = fields.String(required=True, metadata={"description": "Who knew it: openlibrary or googlebooks"})
    source_url = fields.String(required=True, allow_none=True, metadata={"description": "The record at the provider"})
    book = fields.Nested(PrefilledBook, required=True)
    cover = fields.Nested(CoverUrls, required=True, allow_none=True)
