"""Notices: the outbox log and the mail server's state (staff), templates with preview (admins), and each
member's choice of e-mails (/members/me/notices)."""

from flask import g
from flask.views import MethodView
from sqlalchemy import select
from werkzeug.routing import AnyConverter

from ..authz import ADMIN, STAFF, USER, access
from ..errors import PROBLEM_JSON, Problem, ProblemSchema, translated
from ..i18n import N_
from ..extensions import db
from ..models import Member, Notice
from ..models.notices import MEMBER_CHOICE_KINDS, NOTICE_KINDS
from ..schemas.common import page_of
from ..schemas.notices import (
    NoticeChoicesOut, NoticeChoicesPatch, NoticeDetailOut, NoticeOut, NoticePreviewOut, NoticeQuery, NoticeStatusOut,
    NoticeTemplateIn, NoticeTemplateOut, TemplateLanguageQuery,
)
from ..services import audit, jobs, notice_templates, notices
from .base import Blueprint
from .pagination import LINK_HEADER, page_of_query, page_response

blp = Blueprint("notices", __name__, url_prefix="/api/v1", description="E-mail notices: outbox, templates, choices")
NoticePage = page_of(NoticeOut, "NoticePage")
CONFLICT = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}


class NoticeKindConverter(AnyConverter):
    """A notice kind in a path (/notice-templates/hold_ready); anything else is a routing 404."""

    def __init__(self, url_map):
        super().__init__(url_map, *NOTICE_KINDS)


def register_converter(app, api):
    app.url_map.converters["kind"] = NoticeKindConverter
    api.register_converter(NoticeKindConverter, lambda _: {"type": "string", "enum": list(NOTICE_KINDS)})


# --- the outbox log -------------------------------------------------------------------------------

def notices_out(rows, detail=False):
    configured = notices.mail_server()["configured"]
    cards = dict(db.session.execute(select(Member.id, Member.card_number)
                                    .where(Member.id.in_({n.member_id for n in rows if n.member_id}))).all())
    out = []
    for n in rows:
        reason = n.reason
        if n.state == "queued" and not configured:
            reason = notices.NO_MAIL_SERVER
        item = {k: getattr(n, k) for k in ("id", "kind", "state", "member_id", "user_id", "to_address", "subject",
                                           "attempts", "created_at", "last_attempt_at", "sent_at", "message_id")}
        item.update(reason=translated(reason) if reason else None, member_name=n.to_name if n.member_id else None,
                    card_number=cards.get(n.member_id), next_attempt_at=n.next_attempt_at if n.state == "queued" else None)
        if detail:
            item.update(body_text=n.body_text, body_html=n.body_html)
        out.append(item)
    return out


def get_notice_or_404(notice_id):
    return db.get_or_404(Notice, notice_id, description=f"No notice with id {notice_id}.")


@blp.route("/notices")
class NoticeList(MethodView):
    @access(STAFF)
    @blp.doc(operationId="listNotices")
    @blp.arguments(NoticeQuery, location="query")
    @blp.response(200, NoticePage, headers=LINK_HEADER)
    def get(self, args):
        """The notices log, newest first: filter by member, kind and state"""
        query = select(Notice)
        for key, column in (("member_id", Notice.member_id), ("kind", Notice.kind), ("state", Notice.state)):
            if args.get(key):
                query = query.where(column == args[key])
        items, total = page_of_query(query, args, [Notice.id.desc()])
        return page_response(notices_out(items), total, args)


@blp.route("/notices/status")
class NoticeStatus(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getNoticeStatus")
    @blp.response(200, NoticeStatusOut)
    def get(self):
        """The mail server's configuration and how sending goes (failing, waiting, failed)"""
        running, _last_seen = jobs.last_seen()
        return {**notices.status(), "workers_running": running}


@blp.route("/notices/<id:notice_id>")
class NoticeItem(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getNotice")
    @blp.response(200, NoticeDetailOut)
    def get(self, notice_id):
        """One notice with its message (a password reset link is not kept once sent)"""
        return notices_out([get_notice_or_404(notice_id)], detail=True)[0]


@blp.route("/notices/<id:notice_id>/resend")
class NoticeResend(MethodView):
    @access(STAFF)
    @blp.doc(operationId="resendNotice")
    @blp.response(200, NoticeOut)
    @blp.alt_response(409, description="The notice has not failed", **CONFLICT)
    def post(self, notice_id):
        """Send a failed notice again (same message and Message-ID, a fresh count of tries); audited"""
        return notices_out([notices.resend(get_notice_or_404(notice_id))])[0]


# --- templates ------------------------------------------------------------------------------------

def template_out(kind, language):
    row = notice_templates.stored(kind, language)
    spec = notice_templates.KINDS[kind]
    examples = notice_templates.sample(kind, language)
    # The label and the variables' descriptions in the language of the request (the template's own language is
    # `language`: an admin reading in French may edit the Spanish template).
    return {"kind": kind, "language": language, "label": translated(spec.label),
            **notice_templates.current(kind, language),
            "customized": row is not None, "updated_at": row.updated_at if row is not None else None,
            "variables": [{"name": name, "description": translated(description), "example": examples[name]}
                          for name, (description, _example) in spec.variables.items()]}


def _checked(kind, data, language):
    try:
        return notice_templates.check(kind, data, language)
    except notice_templates.TemplateProblem as problem:
        raise Problem(422, "The template does not work; see errors.", problem.errors) from None


@blp.route("/notice-templates")
class NoticeTemplateList(MethodView):
    @access(ADMIN)
    @blp.doc(operationId="listNoticeTemplates")
    @blp.arguments(TemplateLanguageQuery, location="query")
    @blp.response(200, NoticeTemplateOut(many=True))
    def get(self, args):
        """Every kind's template in a language (the admin's, or the built-in one) and the variables it may use"""
        return [template_out(kind, args["language"]) for kind in NOTICE_KINDS]


@blp.route("/notice-templates/<kind:kind>")
class NoticeTemplateItem(MethodView):
    @access(ADMIN)
    @blp.doc(operationId="getNoticeTemplate")
    @blp.arguments(TemplateLanguageQuery, location="query")
    @blp.response(200, NoticeTemplateOut)
    def get(self, args, kind):
        """One kind's template in a language"""
        return template_out(kind, args["language"])

    @access(ADMIN)
    @blp.doc(operationId="updateNoticeTemplate")
    @blp.arguments(TemplateLanguageQuery, location="query")
    @blp.arguments(NoticeTemplateIn)
    @blp.response(200, NoticeTemplateOut)
    def put(self, args, data, kind):
        """Save a kind's template in a language (the other languages' stay as they are); one that does not render
        with the sample values is refused (422). Audited"""
        language = args["language"]
        _checked(kind, data, language)
        actor = audit.current_actor()
        notice_templates.save(kind, data, actor.id if actor else None, language)
        audit.record("notice_template.update", summary={"kind": kind, "language": language})
        db.session.commit()
        return template_out(kind, language)

    @access(ADMIN)
    @blp.doc(operationId="resetNoticeTemplate")
    @blp.arguments(TemplateLanguageQuery, location="query")
    @blp.response(204)
    def delete(self, args, kind):
        """Go back to the built-in template of a language. Audited"""
        row = notice_templates.stored(kind, args["language"])
        if row is not None:
            db.session.delete(row)
            audit.record("notice_template.reset", summary={"kind": kind, "language": args["language"]})
            db.session.commit()


@blp.route("/notice-templates/<kind:kind>/preview")
class NoticeTemplatePreview(MethodView):
    @access(ADMIN)
    @blp.doc(operationId="previewNoticeTemplate")
    @blp.arguments(TemplateLanguageQuery, location="query")
    @blp.arguments(NoticeTemplateIn)
    @blp.response(200, NoticePreviewOut)
    def post(self, args, data, kind):
        """Render a template (saved or not) with the kind's sample values in a language; 422 with the error where
        it fails"""
        return _checked(kind, data, args["language"])


# --- members' choices -----------------------------------------------------------------------------

LABELS = {"hold_ready": N_("A hold is ready to pick up"), "due_soon": N_("A loan is due soon"),
          "overdue": N_("A loan is overdue")}
LOCKED = "You have a hold open: you will be told when it is ready."


def my_member():
    member = db.session.scalar(select(Member).where(Member.user_id == g.principal.user.id))
    if member is None:
        raise Problem(404, "Your account has no library card; ask at the desk.")
    return member


def choices_out(member):
    chosen = notices.choices(member)
    holds_open = notices.open_holds(member)
    kinds = []
    for kind in MEMBER_CHOICE_KINDS:
        locked = kind == "hold_ready" and bool(holds_open) and chosen[kind]
        kinds.append({"kind": kind, "label": translated(LABELS[kind]), "enabled": chosen[kind], "locked": locked,
                      "locked_reason": translated(LOCKED) if locked else None})
    return {"email": notices.address_of(member), "kinds": kinds}


@blp.route("/members/me/notices")
class MyNoticeChoices(MethodView):
    @access(USER)
    @blp.doc(operationId="getMyNoticeChoices")
    @blp.response(200, NoticeChoicesOut)
    def get(self):
        """Which e-mails you get from the library, and at which address (404 without a library card)"""
        return choices_out(my_member())

    @access(USER)
    @blp.doc(operationId="updateMyNoticeChoices")
    @blp.arguments(NoticeChoicesPatch)
    @blp.response(200, NoticeChoicesOut)
    @blp.alt_response(409, description="Hold-ready e-mails cannot be turned off while a hold is open", **CONFLICT)
    def patch(self, data):
        """Turn kinds of e-mail on or off (hold-ready stays on while you have a hold open)"""
        member = my_member()
        notices.set_choices(member, data)
        return choices_out(member)
