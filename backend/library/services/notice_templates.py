"""Notice templates: a subject, a plain-text body and an HTML body per kind and language (en, fr, es), in
Jinja2's sandbox.

Admins may change them (api/notices.py). A template is checked when it is saved, never first when a notice
is sent: it must compile, and render with the kind's sample values under StrictUndefined (a misspelt
variable is refused with its name). Rendering runs in a sandbox (no attribute access to internals, bounded
ranges, no huge repetition), the HTML body autoescaped. Should a saved template still fail on real data, the
built-in template is used for that notice, so an event (a return at the desk) never fails because of mail.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from babel.units import format_unit

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from .. import i18n
from ..i18n import N_
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
    variables: dict  # name -> (description, sample value: a datetime or timedelta is formatted for the language)
    texts: dict  # language -> (subject, body_text, body_html), the built-in template


COMMON = {
    "library_name": (N_("The library's name (a setting)"), "Riverside Library"),
    "name": (N_("The member's (or user's) name"), "Ada Lovelace"),
    "account_url": (N_("Link to the member's loans and holds in the app"), "https://library.example.org/#/me"),
}

# Each language's words around the templates: the signature under every message and the greeting.
SIGNATURE = {"en": "Your loans and holds", "fr": "Vos prêts et réservations", "es": "Sus préstamos y reservas"}
HELLO = {"en": "Hello {{ name }},", "fr": "Bonjour {{ name }},", "es": "Hola, {{ name }}:"}


def _text(language: str, *lines: str) -> str:
    signature = SIGNATURE[language] + (" : " if language == "fr" else ": ")
    return (HELLO[language] + "\n\n" + "\n".join(lines) + "\n"
            + "\n-- \n{{ library_name }}\n" + signature + "{{ account_url }}\n")


def _html(language: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>\n" for p in (HELLO[language], *paragraphs))
    signature = ('<p style="color:#555;font-size:0.9em">{{ library_name }} · '
                 f'<a href="{{{{ account_url }}}}">{SIGNATURE[language]}</a></p>')
    return ("<!doctype html>\n<html><body style=\"font-family:sans-serif;line-height:1.5\">\n"
            f"{body}{signature}\n</body></html>\n")


def _texts(subjects: dict, lines: dict, paragraphs: dict) -> dict:
    return {language: (subjects[language], _text(language, *lines[language]), _html(language, *paragraphs[language]))
            for language in subjects}


KINDS: dict[str, Kind] = {
    "hold_ready": Kind(
        N_("Hold ready for pickup"),
        {**COMMON, "title": (N_("The book's title"), "The Left Hand of Darkness"),
         "pickup_by": (N_("The last day to pick it up"), datetime(2026, 12, 11))},
        _texts({"en": "Ready for you: {{ title }}", "fr": "Disponible pour vous : {{ title }}",
                "es": "Listo para usted: {{ title }}"},
               {"en": ["\"{{ title }}\" is waiting for you on the hold shelf at {{ library_name }}.",
                       "Please pick it up by {{ pickup_by }}; after that it goes to the next person in line."],
                "fr": ["« {{ title }} » vous attend sur l'étagère des réservations à {{ library_name }}.",
                       "Merci de venir le chercher au plus tard le {{ pickup_by }} ; ensuite, il passera à la "
                       "personne suivante sur la liste."],
                "es": ["«{{ title }}» le espera en el estante de reservas de {{ library_name }}.",
                       "Puede recogerlo hasta el {{ pickup_by }}; después pasará a la siguiente persona de la lista."]},
               {"en": ["<strong>{{ title }}</strong> is waiting for you on the hold shelf at {{ library_name }}.",
                       "Please pick it up by <strong>{{ pickup_by }}</strong>; after that it goes to the next person "
                       "in line.",
                       '<a href="{{ account_url }}">See your holds</a>'],
                "fr": ["<strong>{{ title }}</strong> vous attend sur l'étagère des réservations à {{ library_name }}.",
                       "Merci de venir le chercher au plus tard le <strong>{{ pickup_by }}</strong> ; ensuite, il "
                       "passera à la personne suivante sur la liste.",
                       '<a href="{{ account_url }}">Voir vos réservations</a>'],
                "es": ["<strong>{{ title }}</strong> le espera en el estante de reservas de {{ library_name }}.",
                       "Puede recogerlo hasta el <strong>{{ pickup_by }}</strong>; después pasará a la siguiente "
                       "persona de la lista.",
                       '<a href="{{ account_url }}">Ver sus reservas</a>']}),
    ),
    "due_soon": Kind(
        N_("Due soon"),
        {**COMMON, "title": (N_("The book's title"), "The Dispossessed"),
         "due_date": (N_("The due date"), datetime(2026, 12, 7)),
         "days_left": (N_("Whole days until the due date"), 3)},
        _texts({"en": "Due {{ 'tomorrow' if days_left <= 1 else 'in %d days' % days_left }}: {{ title }}",
                "fr": "À rendre {{ 'demain' if days_left <= 1 else 'dans %d jours' % days_left }} : {{ title }}",
                "es": "Vence {{ 'mañana' if days_left <= 1 else 'en %d días' % days_left }}: {{ title }}"},
               {"en": ["\"{{ title }}\" is due back at {{ library_name }} on {{ due_date }}.",
                       "Return it or renew it in the app if nobody is waiting for it."],
                "fr": ["« {{ title }} » est à rendre à {{ library_name }} le {{ due_date }}.",
                       "Rendez-le, ou prolongez-le dans l'application si personne ne l'attend."],
                "es": ["«{{ title }}» debe devolverse a {{ library_name }} el {{ due_date }}.",
                       "Devuélvalo, o renuévelo en la aplicación si nadie lo está esperando."]},
               {"en": ["<strong>{{ title }}</strong> is due back at {{ library_name }} on "
                       "<strong>{{ due_date }}</strong>.",
                       'Return it, or <a href="{{ account_url }}">renew it</a> if nobody is waiting for it.'],
                "fr": ["<strong>{{ title }}</strong> est à rendre à {{ library_name }} le "
                       "<strong>{{ due_date }}</strong>.",
                       'Rendez-le, ou <a href="{{ account_url }}">prolongez-le</a> si personne ne l\'attend.'],
                "es": ["<strong>{{ title }}</strong> debe devolverse a {{ library_name }} el "
                       "<strong>{{ due_date }}</strong>.",
                       'Devuélvalo, o <a href="{{ account_url }}">renuévelo</a> si nadie lo está esperando.']}),
    ),
    "overdue": Kind(
        N_("Overdue"),
        {**COMMON, "title": (N_("The book's title"), "A Wizard of Earthsea"),
         "due_date": (N_("The due date that has passed"), datetime(2026, 11, 30)),
         "days_overdue": (N_("Whole days since the due date"), 8),
         "notice_number": (N_("1 for the first overdue notice of this loan, then 2 ..."), 2)},
        _texts({"en": "Overdue: {{ title }}", "fr": "En retard : {{ title }}", "es": "Préstamo vencido: {{ title }}"},
               {"en": ["\"{{ title }}\" was due back at {{ library_name }} on {{ due_date }}"
                       " ({{ days_overdue }} day{{ '' if days_overdue == 1 else 's' }} ago).",
                       "Please return it as soon as you can, or renew it in the app if nobody is waiting for it."],
                "fr": ["« {{ title }} » devait être rendu à {{ library_name }} le {{ due_date }}"
                       " (il y a {{ days_overdue }} jour{{ '' if days_overdue == 1 else 's' }}).",
                       "Merci de le rendre dès que possible, ou de le prolonger dans l'application si personne ne "
                       "l'attend."],
                "es": ["«{{ title }}» debía devolverse a {{ library_name }} el {{ due_date }}"
                       " (hace {{ days_overdue }} día{{ '' if days_overdue == 1 else 's' }}).",
                       "Por favor, devuélvalo lo antes posible, o renuévelo en la aplicación si nadie lo está "
                       "esperando."]},
               {"en": ["<strong>{{ title }}</strong> was due back at {{ library_name }} on "
                       "<strong>{{ due_date }}</strong> ({{ days_overdue }} day{{ '' if days_overdue == 1 else 's' }} "
                       "ago).",
                       'Please return it as soon as you can, or <a href="{{ account_url }}">renew it</a> if nobody '
                       "is waiting for it."],
                "fr": ["<strong>{{ title }}</strong> devait être rendu à {{ library_name }} le "
                       "<strong>{{ due_date }}</strong> (il y a {{ days_overdue }} "
                       "jour{{ '' if days_overdue == 1 else 's' }}).",
                       'Merci de le rendre dès que possible, ou de <a href="{{ account_url }}">le prolonger</a> si '
                       "personne ne l'attend."],
                "es": ["<strong>{{ title }}</strong> debía devolverse a {{ library_name }} el "
                       "<strong>{{ due_date }}</strong> (hace {{ days_overdue }} "
                       "día{{ '' if days_overdue == 1 else 's' }}).",
                       'Por favor, devuélvalo lo antes posible, o <a href="{{ account_url }}">renuévelo</a> si nadie '
                       "lo está esperando."]}),
    ),
    "password_reset": Kind(
        N_("Password reset link"),
        {**COMMON, "reset_url": (N_("The one-time link that sets a new password"),
                                 "https://library.example.org/#/reset?token=abc123"),
         "expires_in": (N_("How long the link works"), timedelta(hours=1))},
        _texts({"en": "Reset your password at {{ library_name }}",
                "fr": "Réinitialiser votre mot de passe à {{ library_name }}",
                "es": "Restablezca su contraseña de {{ library_name }}"},
               {"en": ["Someone (we hope you) asked to reset your password at {{ library_name }}.",
                       "Open this link within {{ expires_in }} to choose a new one:\n\n{{ reset_url }}\n",
                       "If it was not you, ignore this message: your password stays as it is."],
                "fr": ["Quelqu'un (vous, espérons-le) a demandé à réinitialiser votre mot de passe à "
                       "{{ library_name }}.",
                       "Ouvrez ce lien dans un délai de {{ expires_in }} pour en choisir un nouveau :\n\n{{ reset_url }}\n",
                       "Si ce n'était pas vous, ignorez ce message : votre mot de passe reste le même."],
                "es": ["Alguien (esperamos que usted) pidió restablecer su contraseña de {{ library_name }}.",
                       "Abra este enlace en un plazo de {{ expires_in }} para elegir una nueva:\n\n{{ reset_url }}\n",
                       "Si no fue usted, ignore este mensaje: su contraseña seguirá siendo la misma."]},
               {"en": ["Someone (we hope you) asked to reset your password at {{ library_name }}.",
                       'Open <a href="{{ reset_url }}">this link</a> within {{ expires_in }} to choose a new one.',
                       "If it was not you, ignore this message: your password stays as it is."],
                "fr": ["Quelqu'un (vous, espérons-le) a demandé à réinitialiser votre mot de passe à "
                       "{{ library_name }}.",
                       'Ouvrez <a href="{{ reset_url }}">ce lien</a> dans un délai de {{ expires_in }} pour en choisir un '
                       "nouveau.",
                       "Si ce n'était pas vous, ignorez ce message : votre mot de passe reste le même."],
                "es": ["Alguien (esperamos que usted) pidió restablecer su contraseña de {{ library_name }}.",
                       'Abra <a href="{{ reset_url }}">este enlace</a> en un plazo de {{ expires_in }} para elegir '
                       "una nueva.",
                       "Si no fue usted, ignore este mensaje: su contraseña seguirá siendo la misma."]}),
    ),
}


class TemplateProblem(Exception):
    """A template that does not compile or render; errors: {part: [message]}."""

    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{part}: {' '.join(msgs)}" for part, msgs in errors.items()))
        self.errors = errors


def formatted(value, language: str):
    """A value as a notice shows it: a date as "Friday 11 December 2026" in the language, a duration in hours."""
    if isinstance(value, datetime):
        return i18n.day_text(value, language)
    if isinstance(value, timedelta):
        return format_unit(value // timedelta(hours=1), "duration-hour", length="long", locale=language)
    return value


def sample(kind: str, language: str = i18n.FALLBACK) -> dict:
    return {name: formatted(value, language) for name, (_description, value) in KINDS[kind].variables.items()}


def defaults(kind: str, language: str = i18n.FALLBACK) -> dict:
    return dict(zip(PARTS, KINDS[kind].texts[language]))


def stored(kind: str, language: str = i18n.FALLBACK) -> NoticeTemplate | None:
    return db.session.get(NoticeTemplate, (kind, language))


def current(kind: str, language: str = i18n.FALLBACK) -> dict:
    """The template in force for a language: the admin's, else the built-in one (each language on its own: an
    edited English template leaves the French one as it was)."""
    row = stored(kind, language)
    return {part: getattr(row, part) for part in PARTS} if row is not None else defaults(kind, language)


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


def check(kind: str, template: dict, language: str = i18n.FALLBACK) -> dict:
    """Refuse a template that does not render with the kind's sample values; returns the sample rendering."""
    for part in PARTS:
        if len(template[part]) > (SUBJECT_MAX if part == "subject" else TEMPLATE_MAX):
            raise TemplateProblem({part: ["Too long."]})
    return render(template, sample(kind, language))


def render_notice(kind: str, values: dict, template: dict | None = None, language: str = i18n.FALLBACK) -> dict:
    """A notice's message in a language from the template in force; the built-in template should that one fail
    on real data. Dates and durations among the values are formatted for the language."""
    values = {name: formatted(value, language) for name, value in values.items()}
    try:
        return render(template or current(kind, language), values)
    except TemplateProblem as problem:
        log.error("the %s notice template (%s) failed (%s); the built-in template was used", kind, language, problem)
        return render(defaults(kind, language), values)


def save(kind: str, template: dict, actor_id: int | None, language: str = i18n.FALLBACK) -> NoticeTemplate:
    """Store a checked template (the caller audits and commits)."""
    check(kind, template, language)
    row = stored(kind, language)
    if row is None:
        row = NoticeTemplate(kind=kind, language=language)
        db.session.add(row)
    for part in PARTS:
        setattr(row, part, template[part])
    row.updated_by_id = actor_id
    return row
