"""Book schemas by role: BookOut, BookIn, BookPatch, BookQuery."""

import marshmallow as ma
import pycountry
from marshmallow import fields, validate

from ..extensions import ma as flask_ma
from ..models import Book
from ..models.catalog import (
    DESCRIPTION_MAX, NAME_MAX, PUBLISHER_MAX, SUBJECT_MAX, TITLE_MAX, URL_MAX, YEAR_MAX, YEAR_MIN,
)
from ..services import isbn as isbn_service
from .common import ID_MAX, Id, PageQuery, StrictSchema, Text

SORTS = ("title", "-title", "published_year", "-published_year", "created_at", "-created_at", "author")
AUTHORS_MAX, SUBJECTS_MAX = 50, 30


class ISBN(fields.String):
    """ISBN-10 or ISBN-13, hyphens and spaces allowed; loads as the 13 digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(
            description="ISBN-10 or ISBN-13, with or without hyphens and spaces; stored as ISBN-13",
            example="978-0-306-40615-7",
            maxLength=32,
            pattern=r"^[0-9Xx \-]*$",
        )
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not value and self.allow_none:
            return None
        if len(value) > 32:
            raise ma.ValidationError("Not a valid ISBN: too long.")
        try:
            return isbn_service.normalize(value)
        except isbn_service.InvalidISBN as error:
            raise ma.ValidationError(str(error)) from None


class Language(fields.String):
    """An ISO 639-1 two-letter language code, loaded in lower case."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(
            description="ISO 639-1 language code", example="en", minLength=2, maxLength=2
        )
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        if not value and self.allow_none:
            return None
        if len(value) != 2 or not value.isascii() or pycountry.languages.get(alpha_2=value) is None:
            raise ma.ValidationError("Not an ISO 639-1 language code (for example en, fr, de).")
        return value


class AuthorRef(StrictSchema):
    """An author given by id (existing) or by name (found case-insensitively, created when new)."""

    id = Id()
    name = Text(NAME_MAX)

    @ma.validates_schema
    def one_of(self, data, **kwargs):
        if ("id" in data) == ("name" in data) or data.get("name", "") is None:
            raise ma.ValidationError("Give either id or name.", "_schema")


class BookIn(StrictSchema):
    """Fields a client may set on a book; id and timestamps are the server's."""

    title = Text(TITLE_MAX, required=True)
    subtitle = Text(TITLE_MAX, allow_none=True)
    authors = fields.List(fields.Nested(AuthorRef), validate=validate.Length(max=AUTHORS_MAX))
    isbn = ISBN(allow_none=True)
    publisher = Text(PUBLISHER_MAX, allow_none=True)
    published_year = fields.Integer(strict=True, allow_none=True, validate=validate.Range(YEAR_MIN, YEAR_MAX))
    language = Language(allow_none=True)
    description = Text(DESCRIPTION_MAX, multiline=True, allow_none=True)
    subjects = fields.List(Text(SUBJECT_MAX), validate=validate.Length(max=SUBJECTS_MAX))
    cover_url = fields.URL(
        schemes={"http", "https"}, allow_none=True, validate=validate.Length(max=URL_MAX),
        metadata={"description": "http or https URL of a cover image", "maxLength": URL_MAX},
    )


class BookPatch(BookIn):
    """Any subset of BookIn's fields."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class AuthorBrief(flask_ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    sort_name = fields.String(required=True)


class BookOut(flask_ma.SQLAlchemySchema):
    class Meta:
        model = Book

    id = flask_ma.auto_field(required=True)
    title = flask_ma.auto_field(required=True)
    subtitle = flask_ma.auto_field()
    authors = fields.List(fields.Nested(AuthorBrief), required=True)
    isbn = flask_ma.auto_field(metadata={"description": "ISBN-13, digits only"})
    isbn_formatted = fields.Function(lambda b: isbn_service.formatted(b.isbn), metadata={"type": ["string", "null"]})
    isbn10 = fields.Function(lambda b: isbn_service.to_isbn10(b.isbn), metadata={"type": ["string", "null"]})
    publisher = flask_ma.auto_field()
    published_year = flask_ma.auto_field()
    language = flask_ma.auto_field()
    description = flask_ma.auto_field()
    subjects = fields.Function(lambda b: [s.name for s in b.subjects], metadata={"type": "array", "items": {"type": "string"}})
    cover_url = flask_ma.auto_field()
    availability = fields.Method("get_availability", required=True, metadata={
        "type": "object", "additionalProperties": False, "required": ["available", "total", "holds"],
        "properties": {"available": {"type": "integer", "description": "Copies on the shelf now"},
                       "total": {"type": "integer", "description": "Copies not withdrawn"},
                       "holds": {"type": "integer", "description": "Holds waiting in the queue"}}})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)

    def get_availability(self, book):
        """Lists attach it for the whole page in two queries; a single book is looked up here."""
        from ..services.circulation import availability

        return getattr(book, "availability", None) or availability([book.id])[book.id]


class BookQuery(PageQuery):
    """Filters and sort for book lists."""

    q = Text(200, allow_none=True, metadata={"description": "Case-insensitive match on title and author names"})
    sort = fields.String(load_default="title", validate=validate.OneOf(SORTS))
    isbn = ISBN(metadata={"description": "ISBN-10 or ISBN-13 in any form"})
    author = fields.Integer(validate=validate.Range(min=1, max=ID_MAX), metadata={"description": "Author id"})
    subject = Text(SUBJECT_MAX, allow_none=True, metadata={"description": "Subject name (case-insensitive)"})
    language = Language()
    year_from = fields.Integer(validate=validate.Range(YEAR_MIN, YEAR_MAX))
    year_to = fields.Integer(validate=validate.Range(YEAR_MIN, YEAR_MAX))
    available = fields.Boolean(metadata={"description": "true: only books with a copy on the shelf now"})
