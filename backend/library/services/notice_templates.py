"""Notice templates: a subject, a plain-text body and an HTML body per kind, in Jinja2's sandbox.

Admins may change them (api/notices.py). A template is checked when it is saved, never first when a notice
is sent: it must compile, and render with the kind's sample values under StrictUndefined (a misspelt
variable is refused with its name). Rendering runs in a sandbox (no attribute access to internals, bounded
ranges, no huge repetition), the HTML body autoescaped. Should a saved template still fail on real data, the
built-in template is used for that notice, so an event (a return at the desk) never fails because of mail.
"""

import logging
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select

from ..extensions import db
from ..models import NoticeTemplate
from ..models.notices import SUBJECT_MAX, TEMPLATE_MAX

log = logging.getLogger("library.notices")
PARTS = ("subject", "body_text", "body_html")
OUTPUT_MAX = 100_000  # characters one rendered part may have


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, also refusing ** and any * that would build a value larger than OUTPUT_MAX."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise TemplateError("The ** operator is not allowed in notice templates.")
        for value, times in ((left, right), (right, left)):
            if isinstance(value, (str, list, tuple)) and isinstance(times, int) and len(value) * times > OUTPUT_MAX:
                raise TemplateError("That repetition makes a text too long for a notice.")
        return super().call_binop(context, operator, left, right)


RANGE_MAX = 1000  # Jinja's sandbox allows 100 000 items a range: a notice needs no loop that long


def _range(*args):
    values = range(*args)
    if len(values) > RANGE_MAX:
        raise TemplateError(f"A range of more than {RANGE_MAX} items is not allowed in notice templates.")
    return values


TEXT = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
HTML = _Sandbox(undefined=StrictUndefined, autoescape=True)
TEXT.globals["range"] = HTML.globals["range"] = _range


@dataclass(frozen=True)
class Kind:
    label: str
    variables: dict  # name -> (description, sample value)
    subject: str
    body_text: str
    body_html: str


COMMON = {
    "library_name": ("The library's name (a setting)", "Riverside Library"),
    "name": ("The member's (or user's) name", "Ada Lovelace"),
    "account_url": ("Link to the member's loans and holds in the app", "https://library.example.org/#/me"),
}

_SIGNATURE_TEXT = "\n-- \n{{ library_name }}\nYour loans and holds: {{ account_url }}\n"
_SIGNATURE_HTML = ('<p style="color:#555;font-size:0.9em">{{ library_name }} · '
                   '<a href="{{ account_url }}">Your loans and holds</a></p>')


def _html(*paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    return ("<!doctype html>\n<html><body style=\"font-family:sans-serif;line-height:1.5\">\n"
            f"{body}{_SIGNATURE_HTML}\n</body></html>\n")


KINDS: dict[str, Kind] = {
    "hold_ready": Kind(
        "Hold ready for pickup",
        {**COMMON, "title": ("The book's title", "The Left Hand of Darkness"),
         "pickup_by": ("The last day to pick it up", "Friday 11 December 2026")},
        "Ready for you: {{ title }}",
        "Hello {{ name }},\n\n\"{{ title }}\" is waiting for you on the hold shelf at {{ library_name }}.\n"
        "Please pick it up by {{ pickup_by }}; after that it goes to the next person in line.\n" + _SIGNATURE_TEXT,
        _html("Hello {{ name }},",
              "<strong>{{ title }}</strong> is waiting for you on the hold shelf at {{ library_name }}.",
              "Please pick it up by <strong>{{ pickup_by }}</strong>; after that it goes to the next person in line.",
              '<a href="{{ account_url }}">See your holds</a>'),
    ),
    "due_soon": Kind(
        "Due soon",
        {**COMMON, "title": ("The book's title", "The Dispossessed"),
         "due_date": ("The due date", "Monday 7 December 2026"),
         "days_left": ("Whole days until the due date", 3)},
        "Due {{ 'tomorrow' if days_left <= 1 else 'in %d days' % days_left }}: {{ title }}",
        "Hello {{ name }},\n\n\"{{ title }}\" is due back at {{ library_name }} on {{ due_date }}.\n"
        "Return it or renew it in the app if nobody is waiting for it.\n" + _SIGNATURE_TEXT,
        _html("Hello {{ name }},",
              "<strong>{{ title }}</strong> is due back at {{ library_name }} on <strong>{{ due_date }}</strong>.",
              'Return it, or <a href="{{ account_url }}">renew it</a> if nobody is waiting for it.'),
    ),
    "overdue": Kind(
        "Overdue",
        {**COMMON, "title": ("The book's title", "A Wizard of Earthsea"),
         "due_date": ("The due date that has passed", "Monday 30 November 2026"),
         "days_overdue": ("Whole days since the due date", 8),
         "notice_number": ("1 for the first overdue notice of this loan, then 2 ...", 2)},
        "Overdue: {{ title }}",
        "Hello {{ name }},\n\n\"{{ title }}\" was due back at {{ library_name }} on {{ due_date }}"
        " ({{ days_overdue }} day{{ '' if days_overdue == 1 else 's' }} ago).\n"
        "Please return it as soon as you can, or renew it in the app if nobody is waiting for it.\n"
        + _SIGNATURE_TEXT,
        _html("Hello {{ name }},",
              "<strong>{{ title }}</strong> was due back at {{ library_name }} on <strong>{{ due_date }}</strong>"
              " ({{ days_overdue }} day{{ '' if days_overdue == 1 else 's' }} ago).",
              'Please return it as soon as you can, or <a href="{{ account_url }}">renew it</a> if nobody is '
              "waiting for it."),
    ),
    "password_reset": Kind(
        "Password reset link",
        {**COMMON, "reset_url": ("The one-time link that sets a new password",
                                 "https://library.example.org/#/reset?token=abc123"),
         "expires_in": ("How long the link works", "1 hour")},
        "Reset your password at {{ library_name }}",
        "Hello {{ name }},\n\nSomeone (we hope you) asked to reset your password at {{ library_name }}.\n"
        "Open this link within {{ expires_in }} to choose a new one:\n\n{{ reset_url }}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n" + _SIGNATURE_TEXT,
        _html("Hello {{ name }},",
              "Someone (we hope you) asked to reset your password at {{ library_name }}.",
              'Open <a href="{{ reset_url }}">this link</a> within {{ expires_in }} to choose a new one.',
              "If it was not you, ignore this message: your password stays as it is."),
    ),
}


class TemplateProblem(Exception):
    """A template that does not compile or render; errors: {part: [message]}."""

    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{part}: {' '.join(msgs)}" for part, msgs in errors.items()))
        self.errors = errors


def sample(kind: str) -> dict:
    return {name: value for name, (_description, value) in KINDS[kind].variables.items()}


def defaults(kind: str) -> dict:
    spec = KINDS[kind]
    return {"subject": spec.subject, "body_text": spec.body_text, "body_html": spec.body_html}


def stored(kind: str) -> NoticeTemplate | None:
    return db.session.get(NoticeTemplate, kind)


def current(kind: str) -> dict:
    """The template in force: the admin's, else the built-in one."""
    row = stored(kind)
    return {part: getattr(row, part) for part in PARTS} if row is not None else defaults(kind)


def all_current() -> dict:
    rows = {row.kind: row for row in db.session.scalars(select(NoticeTemplate))}
    return {kind: ({part: getattr(rows[kind], part) for part in PARTS} if kind in rows else defaults(kind))
            for kind in KINDS}


@lru_cache(maxsize=64)
def _compiled(html: bool, source: str):
    return (HTML if html else TEXT).from_string(source)


def _render_part(part: str, source: str, values: dict) -> str:
    output = _compiled(part == "body_html", source).render(values)
    if len(output) > OUTPUT_MAX:
        raise TemplateError(f"The result is longer than {OUTPUT_MAX} characters.")
    if part == "subject":  # one line (a header), whatever the template does
        output = " ".join(output.split())[:SUBJECT_MAX]
    return output


def render(template: dict, values: dict) -> dict:
    """{subject, body_text, body_html} rendered; TemplateProblem with messages per part."""
    out, errors = {}, {}
    for part in PARTS:
        try:
            out[part] = _render_part(part, template[part], values)
        except TemplateSyntaxError as error:
            errors[part] = [f"Line {error.lineno}: {error.message}"]
        except TemplateError as error:  # StrictUndefined, the sandbox's refusals
            errors[part] = [str(error.message if hasattr(error, "message") and error.message else error)]
        except Exception as error:  # noqa: BLE001 - e.g. 1/0 or a bad format in the template: the admin's to fix
            errors[part] = [f"{error.__class__.__name__}: {error}"]
    if errors:
        raise TemplateProblem(errors)
    if not out["subject"]:
        raise TemplateProblem({"subject": ["The subject is empty once rendered."]})
    return out


def check(kind: str, template: dict) -> dict:
    """Refuse a template that does not render with the kind's sample values; returns the sample rendering."""
    for part in PARTS:
        if len(template[part]) > (SUBJECT_MAX if part == "subject" else TEMPLATE_MAX):
            raise TemplateProblem({part: ["Too long."]})
    return render(template, sample(kind))


def render_notice(kind: str, values: dict, template: dict | None = None) -> dict:
    """A notice's message from the template in force; the built-in template should that one fail on real data."""
    try:
        return render(template or current(kind), values)
    except TemplateProblem as problem:
        log.error("the %s notice template failed (%s); the built-in template was used", kind, problem)
        return render(defaults(kind), values)


def save(kind: str, template: dict, actor_id: int | None) -> NoticeTemplate:
    """Store a checked template (the caller audits and commits)."""
    check(kind, template)
    row = stored(kind)
    if row is None:
        row = NoticeTemplate(kind=kind)
        db.session.add(row)
    for part in PARTS:
        setattr(row, part, template[part])
    row.updated_by_id = actor_id
    return row
