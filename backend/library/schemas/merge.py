"""Duplicate and merge schemas by role: DuplicateGroup (out), MergeIn."""

import marshmallow as ma
from marshmallow import fields, validate

from ..services.merge import FROM_MAX
from .books import BookOut
from .common import Id, StrictSchema


class DuplicateGroup(ma.Schema):
    """Books that are likely one and the same."""

    score = fields.Float(required=True, metadata={
        "description": "Similarity from 0 to 1: 1 for a shared ISBN; 0.7 to 1 for the same normalised title and "
                       "first author, higher the more the other fields agree"})
    reasons = fields.List(fields.String(validate=validate.OneOf(("isbn", "title_author"))), required=True)
    isbns = fields.List(fields.String(), required=True, metadata={"description": "The ISBN-13s they share"})
    suggested_id = fields.Integer(required=True, metadata={
        "description": "The book to keep: the most copies, then the most fields filled in, then the oldest"})
    books = fields.List(fields.Nested(BookOut), required=True)


class MergeIn(StrictSchema):
    from_ = fields.List(Id(), data_key="from", required=True, validate=validate.Length(1, FROM_MAX), metadata={
        "description": "Ids of the books to merge into this one; they are deleted and answer 301 to it"})
