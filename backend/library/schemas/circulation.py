"""Circulation schemas by role: copies, members, loans, holds."""

import marshmallow as ma
from marshmallow import fields, validate

from ..models.circulation import (
    BARCODE_MAX, CALL_NUMBER_MAX, CARD_MAX, COPY_STATUSES, HOLD_STATUSES, LOCATION_MAX, MEMBER_NAME_MAX,
    MEMBER_STATUSES, NOTES_MAX, PHONE_MAX,
)
from ..i18n import LANGUAGES
from ..services.lists import HOLD_SORTS, LOAN_SORTS
from .accounts import Email
from .common import ID_MAX, Id, PageQuery, StrictSchema, Text
from .passwords import NewLoginIn, PasswordLinkOut


CODE_PATTERN = r"^[A-Za-z0-9._/-]+$"
PRIVATE_MEMBER = ("Null once it is closed, except for the member themselves (reading history is private), and "
                  "when anonymised")


def Code(max_length, metadata=None, **kwargs):  # noqa: N802 - barcodes and card numbers: no spaces or symbols
    return fields.String(
        validate=[validate.Length(min=1, max=max_length),
                  validate.Regexp(CODE_PATTERN, error="Use letters, digits and . _ / - only.")],
        metadata={"maxLength": max_length, "pattern": CODE_PATTERN, **(metadata or {})}, **kwargs)


class CopyOut(ma.Schema):
    id = fields.Integer(required=True)
    book_id = fields.Integer(required=True)
    book_title = fields.String(required=True)
    barcode = fields.String(required=True)
    location = fields.String(allow_none=True, required=True)
    call_number = fields.String(allow_none=True, required=True)
    notes = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, metadata={"enum": list(COPY_STATUSES)})
    due_at = fields.AwareDateTime(allow_none=True, required=True, metadata={"description": "When on loan"})
    deletable = fields.Boolean(required=True, metadata={
        "description": "Never lent nor held, so it can be deleted; otherwise withdraw it"})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class CopyIn(StrictSchema):
    barcode = Code(BARCODE_MAX, metadata={
        "description": "Left out: the next automatic barcode (the settings' prefix and counter)"})
    location = Text(LOCATION_MAX, allow_none=True)
    call_number = Text(CALL_NUMBER_MAX, allow_none=True)
    notes = Text(NOTES_MAX, multiline=True, allow_none=True)


class CopyPatch(StrictSchema):
    location = Text(LOCATION_MAX, allow_none=True)
    call_number = Text(CALL_NUMBER_MAX, allow_none=True)
    notes = Text(NOTES_MAX, multiline=True, allow_none=True)
    status = fields.String(validate=validate.OneOf(["available", "lost", "withdrawn"]),
                           metadata={"description": "on_loan and on_hold_shelf are set by circulation only"})


class CopyQuery(PageQuery):
    barcode = Code(BARCODE_MAX)
    status = fields.String(validate=validate.OneOf(COPY_STATUSES))
    book_id = fields.Integer(validate=validate.Range(1, ID_MAX))
    added_on = fields.Date(metadata={"description": "Copies added on this day (UTC), e.g. to print their labels"})


class MemberOut(ma.Schema):
    id = fields.Integer(required=True)
    card_number = fields.String(allow_none=True, required=True, metadata={"description": "None while pending"})
    name = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)
    phone = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, metadata={"enum": list(MEMBER_STATUSES)})
    user_id = fields.Integer(allow_none=True, required=True)
    user_email = fields.String(allow_none=True, required=True, metadata={"description": "The linked account's login"})
    active_loans = fields.Integer(required=True)
    language = fields.String(allow_none=True, required=True, metadata={
        "enum": [*LANGUAGES, None], "description": "The language of the member's notices; null: the library's default"})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


def Language(**kwargs):
    """A member's language (en, fr, es) or null for the library's default language."""
    return fields.String(allow_none=True, validate=validate.OneOf(LANGUAGES), metadata={
        "description": "The language of the member's notices (en, fr, es); null: the library's default"}, **kwargs)


class MemberCreatedOut(MemberOut):
    password_link = fields.Nested(PasswordLinkOut, allow_none=True, required=True, metadata={
        "description": "With a new login and no temporary password: the link for the member to set theirs"})


class MemberIn(StrictSchema):
    card_number = Code(CARD_MAX, metadata={
        "description": "Left out: the next automatic card number (the settings' prefix and counter)"})
    name = Text(MEMBER_NAME_MAX, required=True)
    email = Email(allow_none=True)
    phone = Text(PHONE_MAX, allow_none=True)
    user_id = Id(allow_none=True, metadata={"description": "Link the card to a user account"})
    language = Language()
    user_email = Email(metadata={"description": "Link the card to the user account with this email (instead of user_id)"})
    login = fields.Nested(NewLoginIn, metadata={
        "description": "Or give the card a new account (at most one of user_id, user_email and login)"})

    @ma.validates_schema
    def one_account(self, data, **kwargs):
        if sum(key in data for key in ("user_id", "user_email", "login")) > 1:
            raise ma.ValidationError("Give at most one of user_id, user_email and login.", "_schema")


class MemberPatch(StrictSchema):
    card_number = Code(CARD_MAX)
    name = Text(MEMBER_NAME_MAX)
    email = Email(allow_none=True)
    phone = Text(PHONE_MAX, allow_none=True)
    status = fields.String(validate=validate.OneOf(["active", "suspended"]),
                           metadata={"description": "pending cards are approved with POST .../approve"})
    user_id = Id(allow_none=True)
    user_email = Email(metadata={"description": "Link the card to the user account with this email"})
    language = Language()


class MemberQuery(PageQuery):
    q = Text(200, allow_none=True, metadata={"description": "Case-insensitive match on name and card number"})
    card_number = Code(CARD_MAX, metadata={"description": "Exact card number"})
    status = fields.String(validate=validate.OneOf(MEMBER_STATUSES))


class LoanOut(ma.Schema):
    id = fields.Integer(required=True)
    copy_id = fields.Integer(required=True)
    barcode = fields.String(required=True)
    book_id = fields.Integer(required=True)
    book_title = fields.String(required=True)
    member_id = fields.Integer(allow_none=True, required=True, metadata={"description": PRIVATE_MEMBER})
    member_name = fields.String(allow_none=True, required=True, metadata={"description": PRIVATE_MEMBER})
    card_number = fields.String(allow_none=True, required=True, metadata={"description": PRIVATE_MEMBER})
    loaned_at = fields.AwareDateTime(required=True)
    due_at = fields.AwareDateTime(required=True)
    returned_at = fields.AwareDateTime(allow_none=True, required=True)
    renewals = fields.Integer(required=True)
    max_renewals = fields.Integer(required=True)
    overdue = fields.Boolean(required=True)
    renewable = fields.Boolean(required=True, metadata={"description": "A renewal would be granted now"})
    renewal_due_at = fields.AwareDateTime(allow_none=True, required=True, metadata={
        "description": "The due date a renewal would give: the current one plus a loan period"})
    renewal_refusal = fields.String(allow_none=True, required=True, metadata={
        "description": "Why the loan cannot be renewed now"})


class CheckoutIn(StrictSchema):
    OPENAPI_EXTRA = {"oneOf": [{"required": ["card_number"]}, {"required": ["member_id"]}]}

    barcode = Code(BARCODE_MAX, required=True)
    card_number = Code(CARD_MAX)
    member_id = Id()

    @ma.validates_schema
    def one_member(self, data, **kwargs):
        if ("card_number" in data) == ("member_id" in data):
            raise ma.ValidationError("Give either card_number or member_id.", "_schema")


class ReturnIn(StrictSchema):
    barcode = Code(BARCODE_MAX, required=True)


class LoanQuery(PageQuery):
    active = fields.Boolean(metadata={"description": "true: on loan now; false: returned"})
    overdue = fields.Boolean()
    member_id = fields.Integer(validate=validate.Range(1, ID_MAX))
    copy_id = fields.Integer(validate=validate.Range(1, ID_MAX))
    book_id = fields.Integer(validate=validate.Range(1, ID_MAX))
    sort = fields.String(validate=validate.OneOf(LOAN_SORTS), metadata={
        "description": "Default: on loan first by due date, then returned ones; -x sorts descending"})


class HoldOut(ma.Schema):
    id = fields.Integer(required=True)
    book_id = fields.Integer(required=True)
    book_title = fields.String(required=True)
    member_id = fields.Integer(allow_none=True, required=True, metadata={"description": PRIVATE_MEMBER})
    member_name = fields.String(allow_none=True, required=True, metadata={"description": PRIVATE_MEMBER})
    placed_at = fields.AwareDateTime(required=True)
    status = fields.String(required=True, metadata={"enum": list(HOLD_STATUSES)})
    position = fields.Integer(allow_none=True, required=True, metadata={"description": "1 = next in line (waiting only)"})
    copy_id = fields.Integer(allow_none=True, required=True)
    copy_barcode = fields.String(allow_none=True, required=True)
    pickup_by = fields.AwareDateTime(allow_none=True, required=True)
    member_has_email = fields.Boolean(required=True, metadata={
        "description": "false: the member has no e-mail address and is not told when the hold is ready"})


class ReturnOut(ma.Schema):
    action = fields.String(required=True, metadata={"enum": ["returned", "captured", "cleared"], "description": (
        "returned: the loan was checked in; captured: the copy was not on loan but pulled for a waiting hold; "
        "cleared: the copy was on the hold shelf for a hold past its pickup date, which expired")})
    loan = fields.Nested(LoanOut, allow_none=True, required=True, metadata={"description": "The loan checked in"})
    hold = fields.Nested(HoldOut, allow_none=True, required=True,
                         metadata={"description": "The hold the copy was captured for: put it on the hold shelf"})
    cleared = fields.Nested(HoldOut, allow_none=True, required=True,
                            metadata={"description": "The expired hold that was cleared"})


class HoldIn(StrictSchema):
    book_id = Id(required=True)
    card_number = Code(CARD_MAX, metadata={"description": "Staff only: the member to place it for"})
    member_id = Id(metadata={"description": "Staff only: the member to place it for"})


class HoldQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(HOLD_STATUSES))
    book_id = fields.Integer(validate=validate.Range(1, ID_MAX))
    member_id = fields.Integer(validate=validate.Range(1, ID_MAX))
    sort = fields.String(validate=validate.OneOf(HOLD_SORTS), metadata={"description": "Default: placed_at (the queue)"})


class RulesOut(ma.Schema):
    loan_days = fields.Integer(required=True)
    max_renewals = fields.Integer(required=True)
    max_loans = fields.Integer(required=True)
    max_holds = fields.Integer(required=True)
    hold_pickup_days = fields.Integer(required=True)


class CalendarOut(ma.Schema):
    url = fields.String(required=True, metadata={"description": "Private iCalendar feed of your due dates"})
