"""Password link schemas: a new member login, the links staff make, and the public reset pages' requests."""

import marshmallow as ma
from marshmallow import fields, validate

from ..models.accounts import LINK_PURPOSES
from .accounts import Email, Password
from .common import StrictSchema, Text

TOKEN_MAX = 100  # the secret is 43 characters; anything longer is certainly not one


class NewLoginIn(StrictSchema):
    """A new account for a library card: the member sets a password through a link, or staff give a
    temporary one that must be changed at first login."""

    email = Email(required=True, metadata={"description": "The email the member logs in with"})
    temporary_password = Password(new=True, allow_none=True, metadata={
        "description": "Set a temporary password (changed at first login) instead of making a link"})


class PasswordLinkOut(ma.Schema):
    url = fields.String(required=True, metadata={
        "description": "The one-time link to hand over; it opens the page that sets the password"})
    purpose = fields.String(required=True, metadata={"enum": list(LINK_PURPOSES)})
    expires_at = fields.AwareDateTime(required=True)


class ResetRequestIn(StrictSchema):
    email = Text(254, required=True)  # not validated as an address: the answer is the same for anything


class AcceptedOut(ma.Schema):
    detail = fields.String(required=True)


class LinkTokenIn(StrictSchema):
    token = fields.String(required=True, validate=[
        validate.Length(min=1, max=TOKEN_MAX),
        validate.Regexp(r"^[A-Za-z0-9_-]+$", error="Not a password link's secret: it has letters, digits, - and _ only.")],
        metadata={"maxLength": TOKEN_MAX, "pattern": r"^[A-Za-z0-9_-]+$", "description": "The secret from the link"})


class LinkOut(ma.Schema):
    """What the set-a-password page shows about a valid link."""

    email = fields.String(required=True)
    display_name = fields.String(required=True)
    purpose = fields.String(required=True, metadata={"enum": list(LINK_PURPOSES)})
    expires_at = fields.AwareDateTime(required=True)


class LinkPasswordIn(LinkTokenIn):
    new_password = Password(new=True, required=True)
