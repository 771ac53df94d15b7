"""Membership schemas: signing up, asking for a card, approving one, a member's own contact details."""

import marshmallow as ma
from marshmallow import fields

from ..models.accounts import DISPLAY_NAME_MAX
from ..models.circulation import CARD_MAX, PHONE_MAX
from .accounts import Email, Password
from .circulation import Code, MemberOut
from .common import StrictSchema, Text
from .passwords import PasswordLinkOut


class RegisterIn(StrictSchema):
    name = Text(DISPLAY_NAME_MAX, required=True)
    email = Email(required=True)
    password = Password(new=True, required=True)
    phone = Text(PHONE_MAX, allow_none=True)


class ApplyIn(StrictSchema):
    name = Text(DISPLAY_NAME_MAX, required=True, metadata={"description": "The name for the card"})
    phone = Text(PHONE_MAX, allow_none=True)


class ApproveIn(StrictSchema):
    card_number = Code(CARD_MAX, required=True)


class ContactPatch(StrictSchema):
    """What members change themselves; name, card and status are the desk's."""

    email = Email(allow_none=True)
    phone = Text(PHONE_MAX, allow_none=True)


class MemberLoginOut(ma.Schema):
    member = fields.Nested(MemberOut, required=True)
    password_link = fields.Nested(PasswordLinkOut, allow_none=True, required=True, metadata={
        "description": "The link for the member to set their password (none when a temporary password was set)"})
