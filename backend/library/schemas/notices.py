"""Notice schemas by role: the outbox log (staff), the mail server's state, templates (admins), members' choices."""

import marshmallow as ma
from marshmallow import fields, validate

from ..models.notices import MEMBER_CHOICE_KINDS, NOTICE_KINDS, NOTICE_STATES, SUBJECT_MAX, TEMPLATE_MAX
from .common import ID_MAX, PageQuery, StrictBoolean, StrictSchema, Text


class NoticeOut(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": list(NOTICE_KINDS)})
    state = fields.String(required=True, metadata={
        "enum": list(NOTICE_STATES),
        "description": "queued (waiting, or waiting to be tried again), sending, sent, failed (see reason), "
                       "suppressed (not sent on purpose: see reason)"})
    member_id = fields.Integer(allow_none=True, required=True)
    member_name = fields.String(allow_none=True, required=True)
    card_number = fields.String(allow_none=True, required=True)
    user_id = fields.Integer(allow_none=True, required=True)
    to_address = fields.String(allow_none=True, required=True)
    subject = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True, metadata={
        "description": "Why it was suppressed or failed, the last attempt's error, or that no mail server is set"})
    attempts = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    last_attempt_at = fields.AwareDateTime(allow_none=True, required=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True, required=True, metadata={
        "description": "When the sender tries it (again); null once it is no longer queued"})
    sent_at = fields.AwareDateTime(allow_none=True, required=True)
    message_id = fields.String(required=True, metadata={"description": "The Message-ID header (the same on a resend)"})


class NoticeDetailOut(NoticeOut):
    body_text = fields.String(required=True)
    body_html = fields.String(required=True)


class NoticeQuery(PageQuery):
    member_id = fields.Integer(validate=validate.Range(1, ID_MAX))
    kind = fields.String(validate=validate.OneOf(NOTICE_KINDS))
    state = fields.String(validate=validate.OneOf(NOTICE_STATES))


class MailServerOut(ma.Schema):
    configured = fields.Boolean(required=True, metadata={"description": "false: notices wait in the outbox"})
    host = fields.String(allow_none=True, required=True)
    port = fields.Integer(required=True)
    security = fields.String(required=True, metadata={"enum": ["none", "starttls", "tls"]})
    from_address = fields.String(allow_none=True, required=True)


class NoticeStatusOut(ma.Schema):
    mail_server = fields.Nested(MailServerOut, required=True)
    failing = fields.Boolean(required=True, metadata={"description": "The latest attempt failed, after the latest success"})
    last_sent_at = fields.AwareDateTime(allow_none=True, required=True)
    last_failure_at = fields.AwareDateTime(allow_none=True, required=True)
    last_error = fields.String(allow_none=True, required=True)
    queued = fields.Integer(required=True, metadata={"description": "Notices waiting to be sent"})
    oldest_queued_at = fields.AwareDateTime(allow_none=True, required=True)
    failed = fields.Integer(required=True)
    failed_last_day = fields.Integer(required=True)
    sent = fields.Integer(required=True)
    suppressed = fields.Integer(required=True)
    workers_running = fields.Integer(required=True, metadata={"description": "Background workers seen lately (they send)"})


class TemplateVariableOut(ma.Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    example = fields.Raw(required=True, metadata={"type": ["string", "integer"]})


class NoticeTemplateOut(ma.Schema):
    kind = fields.String(required=True, metadata={"enum": list(NOTICE_KINDS)})
    label = fields.String(required=True)
    subject = fields.String(required=True)
    body_text = fields.String(required=True)
    body_html = fields.String(required=True)
    customized = fields.Boolean(required=True, metadata={"description": "false: the built-in template"})
    updated_at = fields.AwareDateTime(allow_none=True, required=True)
    variables = fields.List(fields.Nested(TemplateVariableOut), required=True)


class NoticeTemplateIn(StrictSchema):
    """A template in Jinja2 syntax ({{ title }}, {% if ... %}); the HTML body is autoescaped."""

    subject = Text(SUBJECT_MAX, required=True)
    body_text = Text(TEMPLATE_MAX, multiline=True, required=True)
    body_html = Text(TEMPLATE_MAX, multiline=True, required=True)


class NoticePreviewOut(ma.Schema):
    subject = fields.String(required=True)
    body_text = fields.String(required=True)
    body_html = fields.String(required=True)


class NoticeChoiceOut(ma.Schema):
    kind = fields.String(required=True, metadata={"enum": list(MEMBER_CHOICE_KINDS)})
    label = fields.String(required=True)
    enabled = fields.Boolean(required=True)
    locked = fields.Boolean(required=True, metadata={"description": "Cannot be turned off now (see locked_reason)"})
    locked_reason = fields.String(allow_none=True, required=True)


class NoticeChoicesOut(ma.Schema):
    email = fields.String(allow_none=True, required=True, metadata={
        "description": "Where notices go; null: nowhere (ask at the desk to add an address)"})
    kinds = fields.List(fields.Nested(NoticeChoiceOut), required=True)


NoticeChoicesPatch = StrictSchema.from_dict(
    {kind: StrictBoolean(metadata={"description": f"E-mail {kind.replace('_', ' ')} notices"})
     for kind in MEMBER_CHOICE_KINDS}, name="NoticeChoicesPatch")
