"""Account schemas by role: users, login, password change, tokens, audit events."""

import marshmallow as ma
from marshmallow import fields, validate

from ..extensions import ma as flask_ma
from ..models import ApiToken, AuditEvent, User
from ..models.accounts import DISPLAY_NAME_MAX, EMAIL_MAX, ROLES, TOKEN_NAME_MAX
from ..models.circulation import MEMBER_STATUSES
from ..services.auth import SCOPES
from ..services.passwords import MAX_LENGTH, MIN_LENGTH
from .common import Integer, PageQuery, StrictBoolean, StrictSchema, Text, has_lone_surrogate


class Email(fields.Email):
    """An email address, compared and stored lower-cased."""

    def __init__(self, metadata=None, **kwargs):
        super().__init__(validate=validate.Length(max=EMAIL_MAX), metadata={"maxLength": EMAIL_MAX, **(metadata or {})},
                         **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value.strip() if isinstance(value, str) else value, attr, data, **kwargs)
        if has_lone_surrogate(value) or "\x00" in value:
            raise ma.ValidationError("Not a valid email address.")
        return value.lower()


class PasswordField(fields.String):
    """Any characters, kept exactly (no trimming or folding); the policy is checked by the service."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if has_lone_surrogate(value):
            raise ma.ValidationError("Not valid Unicode text.")
        return value


def Password(new=False, metadata=None, **kwargs):  # noqa: N802 - a field factory
    """A password field; a new one (new=True) states the policy's length in the spec (the service checks it,
    with the common-password list, which no schema can state)."""
    metadata = {"maxLength": MAX_LENGTH, "format": "password", **({"minLength": MIN_LENGTH} if new else {}),
                **(metadata or {})}
    return PasswordField(validate=validate.Length(max=MAX_LENGTH), metadata=metadata, **kwargs)


class UserOut(flask_ma.SQLAlchemySchema):
    class Meta:
        model = User

    id = flask_ma.auto_field(required=True)
    email = flask_ma.auto_field(required=True)
    display_name = flask_ma.auto_field(required=True)
    role = flask_ma.auto_field(required=True, metadata={"enum": list(ROLES)})
    is_active = flask_ma.auto_field(required=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)
    last_login_at = fields.AwareDateTime(allow_none=True, required=True)
    must_change_password = fields.Boolean(required=True, metadata={
        "description": "The password is a temporary one: until it is changed, only that is allowed"})
    password_reset_requested_at = fields.AwareDateTime(allow_none=True, required=True, metadata={
        "description": "When the user asked for a new password (\"Forgot your password?\"), until a link is made"})


class UserIn(StrictSchema):
    email = Email(required=True)
    display_name = Text(DISPLAY_NAME_MAX, required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = Password(new=True, required=True)
    must_change_password = StrictBoolean(load_default=True, metadata={
        "description": "A temporary password (the default): the user must choose their own at first login"})


class UserPatch(StrictSchema):
    """What an admin may change; email and password stay the user's own."""

    display_name = Text(DISPLAY_NAME_MAX)
    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = StrictBoolean()


class UserQuery(PageQuery):
    q = Text(200, allow_none=True, metadata={"description": "Case-insensitive match on email and display name"})
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    reset_requested = fields.Boolean(metadata={"description": "true: users who asked for a new password"})


class LoginIn(StrictSchema):
    email = Text(EMAIL_MAX, required=True)  # not validated as an address: any typo just fails to log in
    password = Password(required=True)


class CardRef(ma.Schema):
    """Which library card an account has, enough for the SPA to know what to offer (GET /members/me has the rest)."""

    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(MEMBER_STATUSES)})


class AuthState(ma.Schema):
    """The caller as the SPA sees it."""

    user = fields.Nested(UserOut, required=True, allow_none=True,
                         metadata={"description": "null for a visitor (not logged in, or the session has ended)"})
    member = fields.Nested(CardRef, required=True, allow_none=True,
                           metadata={"description": "The user's library card; null for a visitor or an account "
                                                    "without one"})
    csrf_token = fields.String(allow_none=True, required=True,
                               metadata={"description": "Send as X-CSRFToken on cookie-authenticated writes"})
    via = fields.String(metadata={"enum": ["session", "token"], "description": "Absent for a visitor"})
    scopes = fields.List(fields.String(metadata={"enum": list(SCOPES)}), metadata={"description": "Absent for a visitor"})


class CsrfOut(ma.Schema):
    csrf_token = fields.String(required=True)


class PasswordChangeIn(StrictSchema):
    current_password = Password(required=True)
    new_password = Password(new=True, required=True)


class SessionOut(ma.Schema):
    id = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    last_seen_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    user_agent = fields.String(allow_none=True)


class TokenOut(flask_ma.SQLAlchemySchema):
    class Meta:
        model = ApiToken

    id = flask_ma.auto_field(required=True)
    name = flask_ma.auto_field(required=True)
    scopes = fields.List(fields.String(metadata={"enum": list(SCOPES)}), attribute="scope_list", required=True)
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    last_used_at = fields.AwareDateTime(allow_none=True, required=True)


class NewTokenOut(TokenOut):
    token = fields.String(required=True, metadata={"description": "The token itself; shown only this once"})


class TokenIn(StrictSchema):
    name = Text(TOKEN_NAME_MAX, required=True)
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)), metadata={
                             "description": "At most what your role has (members and librarians: read, write; "
                                            "admins also admin) and, with a token, what it has: else a 422"})
    expires_in_days = Integer(load_default=90, validate=validate.Range(1, 365))


class AuditOut(flask_ma.SQLAlchemySchema):
    class Meta:
        model = AuditEvent

    id = flask_ma.auto_field(required=True)
    at = fields.AwareDateTime(required=True)
    actor_id = flask_ma.auto_field()
    actor = flask_ma.auto_field(required=True)
    action = flask_ma.auto_field(required=True)
    resource_type = flask_ma.auto_field()
    resource_id = flask_ma.auto_field()
    summary = fields.Dict(required=True)


class AuditQuery(PageQuery):
    actor = fields.Integer(validate=validate.Range(1, 2**31 - 1), metadata={"description": "User id of the actor"})
    actor_email = Text(EMAIL_MAX, allow_none=True, metadata={
        "description": "The actor as recorded: their email (case-insensitive), or system for the command line"})
    action = Text(50, allow_none=True, metadata={"description": "e.g. book.update, auth.login"})
    resource_type = fields.String(validate=validate.OneOf(["book", "author", "user", "token", "copy", "member", "loan",
                                                           "hold"]))
    resource_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
