"""Author and subject schemas by role."""

from marshmallow import fields

from ..extensions import ma as flask_ma
from ..models import Author
from ..models.catalog import NAME_MAX
from .common import Id, PageQuery, StrictSchema, Text


class AuthorOut(flask_ma.SQLAlchemySchema):
    class Meta:
        model = Author

    id = flask_ma.auto_field(required=True)
    name = flask_ma.auto_field(required=True)
    sort_name = flask_ma.auto_field(required=True)
    book_count = fields.Integer(required=True, metadata={"description": "Number of books by this author"})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class AuthorIn(StrictSchema):
    name = Text(NAME_MAX, required=True)
    sort_name = Text(NAME_MAX, allow_none=True, metadata={"description": 'Derived as "Last, First" when not given'})


class AuthorPatch(AuthorIn):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class AuthorMergeIn(StrictSchema):
    duplicate_id = Id(required=True, metadata={"description": "The author to merge into this one: their books move "
                                                             "here and they are deleted"})


class AuthorQuery(PageQuery):
    q = Text(200, allow_none=True, metadata={"description": "Case-insensitive match on the name"})


class SubjectOut(flask_ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    book_count = fields.Integer(required=True)


class SubjectQuery(PageQuery):
    q = Text(100, allow_none=True, metadata={"description": "Case-insensitive match on the name"})
