"""The API's words in the reader's language: English (the fallback), French and Spanish.

Messages are written in English where they are raised (services, schemas, views) and translated once, when the
problem+json body is made (errors.problem_response): the English text is the msgid of a gettext catalog
(library/translations/<language>.po, read with Babel when first needed: no compile step, nothing to build on a
fresh clone). A message with values is written as an f-string; its msgid is the f-string's source
("No book with id {survivor_id}."), so the catalog matches the finished English text by pattern and puts the
values into the translation. Marshmallow's and webargs' own messages are in the catalog the same way, with
their placeholders ("Length must be between {min} and {max}."). tests/test_i18n.py extracts every message the
code can raise and fails on one that a catalog lacks.

Two kinds of placeholder have their values translated too: {label("copy status", code)} (a code's English label
from LABELS, translated with its kind as msgctxt) and {said(message)} / {said_all(messages)} (messages inside a
message, each translated on its own). Import reports and job errors are stored in English this way and translated
when read.

No Flask here: the view layer picks the language (errors.request_language).
"""

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LANGUAGES = ("en", "fr", "es")
FALLBACK = "en"
CATALOGS = Path(__file__).parent / "translations"
PLACEHOLDER = re.compile(r"\{[^{}]+\}")
SAID_PLACEHOLDER = re.compile(r"\{said(?P<all>_all)?\(.+\)\}")
LABEL_PLACEHOLDER = re.compile(r"\{label\((['\"])(?P<kind>[^'\"]+)\1, .+\)\}")


def N_(message: str) -> str:
    """Mark a message kept in a variable (or passed to a helper) as one to translate; returns it unchanged."""
    return message


# Codes said inside a sentence ("Copy C1 is on loan; check it in first."): the English label of each code, by what
# the code describes. A label is translated with that kind as its gettext context (msgctxt), since it agrees with its
# noun (FR "en prêt" for a copy, "annulée" for a hold). A message says one with {label("copy status", copy.status)}:
# the catalog then translates the value that fills that placeholder as a label of that kind.
LABELS = {
    "copy status": {"available": "available", "on_loan": "on loan", "on_hold_shelf": "on the hold shelf",
                    "lost": "lost", "withdrawn": "withdrawn"},
    "hold status": {"waiting": "waiting", "ready": "ready", "fulfilled": "fulfilled", "cancelled": "cancelled",
                    "expired": "expired"},
    "import state": {"uploaded": "uploaded", "previewing": "being previewed", "previewed": "previewed",
                     "importing": "being imported", "done": "done", "failed": "failed", "cancelled": "cancelled"},
    "job state": {"queued": "queued", "running": "running", "done": "done", "failed": "failed",
                  "cancelled": "cancelled"},
    "notice state": {"queued": "queued", "sending": "being sent", "sent": "sent", "failed": "failed",
                     "suppressed": "suppressed"},
    # An imported record's fields are named in English as in the API and the CLI's report (their codes).
    "book field": {code: code for code in ("title", "subtitle", "authors", "publisher", "published_year", "language",
                                           "subjects", "description", "edition", "call_number")},
    "copy field": {code: code for code in ("location", "call_number", "notes")},
    "file kind": {"zip": "a zip archive", "gzip": "a gzip file", "bzip2": "a bzip2 file", "xz": "an xz file",
                  "7z": "a 7-Zip archive", "zstd": "a zstd file"},
}


def label(kind: str, code: str) -> str:
    """The English label of a code of that kind (the code itself if it has none)."""
    return LABELS[kind].get(code, str(code).replace("_", " "))


def said(message: str) -> str:
    """A message inside a message ("ISBN 123: {said(error)} It was left out."): translated on its own."""
    return str(message)


def said_all(messages, separator: str = "; ") -> str:
    """Messages inside a message, joined with "; ": each is translated on its own."""
    return separator.join(map(str, messages))


def context_key(context: str, msgid: str) -> str:
    """A message with a gettext context is keyed as gettext does: context, EOT, msgid."""
    return f"{context}\x04{msgid}"


def negotiate(accept_language: str | None, default: str = FALLBACK) -> str:
    """The best of LANGUAGES for an Accept-Language header (q-values; fr-CA gives fr); the default without a
    header or when it names none of them."""
    if not accept_language:
        return default
    accepted = parse_accept_header(accept_language, LanguageAccept)
    others = [language for language in LANGUAGES if language != default]
    return accepted.best_match([default, *others], default=FALLBACK)


class Catalog:
    """One language's messages: exact msgids in a dict, msgids with placeholders as patterns."""

    def __init__(self, path: Path):
        with path.open("rb") as file:
            catalog = read_po(file)
        self.exact, self.patterns = {}, []
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            if message.context:
                self.exact[context_key(message.context, message.id)] = message.string
                continue
            self.exact[message.id] = message.string
            names = PLACEHOLDER.findall(message.id)
            if names:
                parts = PLACEHOLDER.split(message.id)
                # A message inside a message takes all it can ("isbn: {said(error)} ({text})", where the error
                # may hold parentheses too); any other value as little as it can.
                regex = "".join(re.escape(part) + (f"(?P<g{i}>.+{'' if SAID_PLACEHOLDER.fullmatch(names[i]) else '?'})"
                                                   if i < len(names) else "")
                                for i, part in enumerate(parts))
                literal = sum(len(part) for part in parts)
                self.patterns.append((literal, re.compile(regex, re.DOTALL), names, message.string))
        self.patterns.sort(key=lambda entry: -entry[0])  # the most specific pattern first

    def translate(self, text: str) -> str | None:
        if text in self.exact:
            return self.exact[text]
        for _literal, regex, names, translation in self.patterns:
            match = regex.fullmatch(text)
            values = self._values(match, names) if match else None
            if values is not None:
                return PLACEHOLDER.sub(lambda m: values.get(m.group(0), m.group(0)), translation)
        return None

    def _values(self, match, names) -> dict | None:
        """{placeholder: its value in this language}; None when a label's value is not a label of its kind (the
        pattern matched a text that is not this message)."""
        values = {}
        for i, name in enumerate(names):
            value = match.group(f"g{i}")
            if labelled := LABEL_PLACEHOLDER.fullmatch(name):
                value = self.exact.get(context_key(labelled["kind"], value))
                if value is None:
                    return None
            elif nested := SAID_PLACEHOLDER.fullmatch(name):
                parts = value.split("; ") if nested["all"] else [value]
                value = "; ".join(self.translate(part) or part for part in parts)
            values.setdefault(name, value)
        return values


@lru_cache(maxsize=None)
def catalog(language: str) -> Catalog | None:
    path = CATALOGS / f"{language}.po"
    return Catalog(path) if language != FALLBACK and path.exists() else None


def translate(text, language: str):
    """The text in the language (the English text where the catalog has none); non-strings are returned as they are."""
    if not isinstance(text, str) or language == FALLBACK:
        return text
    found = catalog(language)
    return (found.translate(text) if found else None) or text


def translate_errors(errors: dict, language: str) -> dict:
    """{field: [message, ...]} with each message translated."""
    return {field: [translate(message, language) for message in messages] for field, messages in errors.items()}


# --- dates in notices ---------------------------------------------------------------------------------

DAY_FORMATS = {"en": "EEEE d MMMM y", "fr": "EEEE d MMMM y", "es": "EEEE d 'de' MMMM 'de' y"}


def day_text(moment: datetime, language: str = FALLBACK) -> str:
    """"Friday 11 December 2026", "vendredi 11 décembre 2026", "viernes 11 de diciembre de 2026"."""
    return format_date(moment.date(), DAY_FORMATS.get(language, DAY_FORMATS[FALLBACK]), locale=language)
