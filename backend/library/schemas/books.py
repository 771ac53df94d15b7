"""Book schemas by role: BookOut, BookIn, BookPatch, BookQuery."""

import re

import marshmallow as ma
import pycountry
from marshmallow import fields, validate

from ..extensions import ma as flask_ma
from ..models import Book
from ..models.catalog import (
    BOOK_CALL_NUMBER_MAX, DESCRIPTION_MAX, EDITION_MAX, NAME_MAX, PUBLISHER_MAX, SUBJECT_MAX, TITLE_MAX, URL_MAX, YEAR_MAX,
    YEAR_MIN,
)
from ..services import covers as cover_service
from ..services import isbn as isbn_service
from .common import ID_MAX, PAGE_MAX, Id, Integer, PageQuery, StrictSchema, Text, Url

SORTS = ("relevance", "title", "-title", "published_year", "-published_year", "created_at", "-created_at", "author")
FACETS = ("subject", "language", "author", "decade")
FACET_LIMIT_MAX = 50
CURSOR_MAX = 2000
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,%d}$" % CURSOR_MAX  # base64url without padding, as next_cursor is
DEEP_PAGE_LIMIT = 10_000  # page mode reaches this many rows; deeper, the cursor
AUTHORS_MAX, SUBJECTS_MAX, OTHER_ISBNS_MAX = 50, 30, 20


ISBN_PATTERN = r"^[ -]*(?:(?:[0-9][ -]*){9}(?:[0-9Xx][ -]*)?|(?:[0-9][ -]*){13})$"


class ISBN(fields.String):
    """ISBN-10 or ISBN-13 (or a 9-digit SBN), hyphens and spaces allowed; loads as the 13 digits. The spec's
    pattern is the shape; the check digit (and 978/979 for ISBN-13) are checked beyond it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata.update(
            description=self.metadata.get("description") or
            "ISBN-10 or ISBN-13, with or without hyphens and spaces; stored as ISBN-13",
            example="978-0-306-40615-7", maxLength=32,
            pattern=f"^(?:{ISBN_PATTERN[1:-1]})?$" if self.allow_none else ISBN_PATTERN)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not value and self.allow_none:
            return None
        if len(value) > 32 or not re.fullmatch(ISBN_PATTERN, value):
            raise ma.ValidationError("Not a valid ISBN: use 10 or 13 digits (X only as an ISBN-10 check digit), "
                                     "hyphens and spaces.")
        try:
            return isbn_service.normalize(value)
        except isbn_service.InvalidISBN as error:
            raise ma.ValidationError(str(error)) from None


LANGUAGE_CODES = tuple(sorted(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")))
# The codes in either case (EN, en, En), as one exact pattern: validation and the spec alike.
LANGUAGE_PATTERN = "^(?:" + "|".join("".join(f"[{c.upper()}{c}]" for c in code) for code in LANGUAGE_CODES) + ")$"


class CoverId(fields.String):
    """The id of a cover stored with POST /api/v1/covers (or by an ISBN lookup); null removes the cover."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(
            description="A stored cover's id, from POST /api/v1/covers or an ISBN lookup; null: no cover",
            pattern=cover_service.COVER_ID.pattern, minLength=32, maxLength=32)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not cover_service.COVER_ID.match(value):
            raise ma.ValidationError("Not a cover id (32 hexadecimal digits).")
        if not cover_service.current_store().exists(value):
            raise ma.ValidationError("No stored cover has this id; upload the image first.")
        return value


class Language(fields.String):
    """An ISO 639-1 two-letter language code (any case: EN, en), loaded in lower case; an empty string means
    none where the field is optional."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(description="ISO 639-1 language code (any case)", example="en")
        super().__init__(**kwargs)
        self.metadata.update(minLength=0 if self.allow_none else 2, maxLength=2,
                             pattern=f"^(?:{LANGUAGE_PATTERN[1:-1]})?$" if self.allow_none else LANGUAGE_PATTERN)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not value and self.allow_none:
            return None
        if not re.fullmatch(LANGUAGE_PATTERN, value):
            raise ma.ValidationError("Not an ISO 639-1 language code (for example en, fr, de).")
        return value.lower()


class AuthorRef(StrictSchema):
    """An author given by id (existing) or by name (found case-insensitively, created when new)."""

    OPENAPI_EXTRA = {"oneOf": [{"required": ["id"]}, {"required": ["name"]}]}

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
    published_year = Integer(allow_none=True, validate=validate.Range(YEAR_MIN, YEAR_MAX))
    language = Language(allow_none=True)
    description = Text(DESCRIPTION_MAX, multiline=True, allow_none=True)
    subjects = fields.List(Text(SUBJECT_MAX), validate=validate.Length(max=SUBJECTS_MAX))
    cover_url = Url(URL_MAX, allow_none=True, metadata={"description": "http or https URL of a cover image"})
    cover_id = CoverId(allow_none=True)
    other_isbns = fields.List(ISBN(), validate=validate.Length(max=OTHER_ISBNS_MAX), metadata={
        "description": "The book's other ISBNs (another binding or printing), ISBN-10 or -13; the whole list"})
    edition = Text(EDITION_MAX, allow_none=True, metadata={"description": "e.g. 2nd ed. (MARC 250)"})
    call_number = Text(BOOK_CALL_NUMBER_MAX, allow_none=True, metadata={
        "description": "The book's class mark, e.g. 813.54 or PS3562.E42 (MARC 082/050/090/092); a copy may have its own"})


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
    edition = flask_ma.auto_field()
    call_number = flask_ma.auto_field()
    cover = fields.Function(lambda b: cover_service.urls(b.cover_id), metadata={
        "type": ["object", "null"], "additionalProperties": False, "required": ["id", "list", "detail"],
        "properties": {"id": {"type": "string"},
                       "list": {"type": "string", "description": "Small image for result lists (WebP)"},
                       "detail": {"type": "string", "description": "Large image for the book page (WebP)"}},
        "description": "The stored cover's URLs (root-relative, long-cached), or null"})
    other_isbns = fields.Function(lambda b: [link.isbn for link in b.isbn_links], metadata={
        "type": "array", "items": {"type": "string"}, "description": "Other ISBN-13s of the book"})
    availability = fields.Method("get_availability", required=True, metadata={
        "type": "object", "additionalProperties": False, "required": ["available", "total", "holds"],
        "properties": {"available": {"type": "integer", "description": "Copies on the shelf now"},
                       "total": {"type": "integer", "description": "Copies not withdrawn"},
                       "holds": {"type": "integer", "description": "Holds waiting in the queue"}}})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)

    def get_availability(self, book):
        """POST and PATCH responses look it up here; lists and GET build theirs in catalog.book_dicts."""
        from ..services.circulation import availability

        return getattr(book, "availability", None) or availability([book.id])[book.id]


class FacetList(fields.String):
    """A comma-separated list of facet names; loads as a tuple without repeats."""

    PATTERN = r"^ *(?:(?:" + "|".join(FACETS) + r") *(?:, *|$))*$"

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(
            description="Comma-separated facets to count over the result set: " + ", ".join(FACETS),
            pattern=self.PATTERN, maxLength=100, example="subject,language")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) > 100:
            raise ma.ValidationError("At most 100 characters.")
        if not re.fullmatch(self.PATTERN, value):
            raise ma.ValidationError("Comma-separated facet names: " + ", ".join(FACETS) + ".")
        names = [part.strip() for part in value.split(",") if part.strip()]
        unknown = [n for n in names if n not in FACETS]
        if unknown:
            raise ma.ValidationError(f"Unknown facet {unknown[0]!r}; choose from {', '.join(FACETS)}.")
        return tuple(dict.fromkeys(names))


class SearchText(Text):
    """Text that remembers a trailing space (one kept), which turns off prefix matching of the last word."""

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        return result + " " if result and isinstance(value, str) and value[-1:].isspace() else result


class BookQuery(PageQuery):
    """Search, filters, sort, facets and paging (page numbers or a cursor) for book lists."""

    SHARED_INSTANCE = True  # api/base._Parser loads every request with one instance (the schema holds no state)

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=PAGE_MAX), metadata={
        "description": f"Page number; page numbers reach the first {DEEP_PAGE_LIMIT} books ((page - 1) x per_page "
                       f"below {DEEP_PAGE_LIMIT}, else a 422); deeper, use cursor"})

    q = SearchText(200, allow_none=True, metadata={"description": (
        "Full-text search over title, subtitle, authors, subjects, publisher, ISBN and description. "
        "Every word must match (case and accents ignored); \"a phrase\" matches the words in order; "
        "-word or -\"a phrase\" excludes; the last word also matches as a prefix unless q ends in a space; "
        "an ISBN-10 or ISBN-13 in any form finds its book. Other punctuation is ignored.")})
    sort = fields.String(validate=validate.OneOf(SORTS), metadata={
        "description": "Order; relevance (title and authors above subjects, above publisher and ISBN, above "
                       "description; ties by id) is the default with q, title without"})
    isbn = ISBN(metadata={"description": "ISBN-10 or ISBN-13 with or without hyphens and spaces"})
    author = fields.Integer(validate=validate.Range(min=1, max=ID_MAX), metadata={"description": "Author id"})
    subject = Text(SUBJECT_MAX, allow_none=True, metadata={"description": "Subject name (case-insensitive)"})
    language = Language()
    year_from = fields.Integer(validate=validate.Range(YEAR_MIN, YEAR_MAX))
    year_to = fields.Integer(validate=validate.Range(YEAR_MIN, YEAR_MAX))
    available = fields.Boolean(metadata={"description": "true: only books with a copy on the shelf now"})
    facets = FacetList()
    facet_limit = fields.Integer(load_default=10, validate=validate.Range(1, FACET_LIMIT_MAX),
                                 metadata={"description": "Values per facet, the most frequent first"})
    cursor = fields.String(validate=validate.Regexp(CURSOR_PATTERN, error="Not a cursor: use a next_cursor value."),
                           metadata={"pattern": CURSOR_PATTERN, "maxLength": CURSOR_MAX, "minLength": 1,
                                     "description": "Opaque position from a previous next_cursor (base64url): the "
                                     "page after it, as deep as you like at the same cost. Keep the other "
                                     "parameters; page is ignored. A value that is not a next_cursor of this list "
                                     "is a 422."})

    @ma.validates_schema
    def _page_depth(self, data, **_kwargs):
        if "cursor" not in data and (data.get("page", 1) - 1) * data.get("per_page", 20) >= DEEP_PAGE_LIMIT:
            raise ma.ValidationError(
                f"Page numbers reach the first {DEEP_PAGE_LIMIT} books; go deeper with cursor=next_cursor.", "page")


class FacetText(ma.Schema):
    """One value of a text facet (subject, language) and its count."""

    value = fields.String(required=True, metadata={"description": "Filter with it: subject=value, language=value"})
    label = fields.String(required=True)
    count = fields.Integer(required=True)


class FacetNumber(ma.Schema):
    """One value of a numeric facet (author id, decade) and its count."""

    value = fields.Integer(required=True, metadata={"description": "author=value, or year_from=value&year_to=value+9"})
    label = fields.String(required=True)
    count = fields.Integer(required=True)


def _facet_values(value_type):
    return fields.List(fields.Nested(FacetText if value_type == "string" else FacetNumber))


class FacetCounts(ma.Schema):
    subject = _facet_values("string")
    language = _facet_values("string")
    author = _facet_values("integer")
    decade = _facet_values("integer")


class BookPage(ma.Schema):
    """A page of books with what a search screen shows around it."""

    items = fields.List(fields.Nested(BookOut), required=True)
    total = fields.Integer(required=True, metadata={"description": "Matching books; exact up to 2000, above "
                                                                   "that an estimate when total_is_estimate"})
    total_is_estimate = fields.Boolean(required=True, metadata={
        "description": "true when more than 2000 books match and total is estimated from a sample"})
    page = fields.Integer(required=True, allow_none=True, metadata={"description": "null in cursor mode"})
    per_page = fields.Integer(required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass as cursor for the next page; null on the last page"})
    facets = fields.Nested(FacetCounts, required=True, metadata={
        "description": "The requested facets: counts within the result set, most frequent first. Filter by one "
                       "with subject=value, language=value, author=value, or year_from=value&year_to=value+9. "
                       "When total_is_estimate, the counts are estimates too: counted in the sample that "
                       "estimated total and scaled to it"})
    suggestions = fields.List(fields.String(), required=True, metadata={
        "description": "When q found nothing: corrected queries that find something (\"did you mean\")"})
