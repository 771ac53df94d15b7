"""Schemas of the catalog's languages (GET /api/v1/languages)."""

import marshmallow as ma
from marshmallow import fields

from .common import page_of


class LanguageOut(ma.Schema):
    code = fields.String(required=True, metadata={"description": "ISO 639-1 code, the value of the books' language "
                                                                 "filter", "example": "fr"})
    name = fields.String(required=True, metadata={"description": "English name", "example": "French"})
    book_count = fields.Integer(required=True, metadata={"description": "Books in this language"})


LanguagePage = page_of(LanguageOut, "LanguagePage")
