"""One book as a file describes it (a MARC record, a CSV row), checked by the API's own rules before anything is
written: the common ground of the MARC and CSV readers (services/marc.py, services/bookcsv.py), the importer and
the preview.

A reader yields Record objects: raw values, the record's number in the file, and the problems found while reading
it (a record that cannot be decoded at all is a Record with problems and nothing else). check() turns a Record into
an Entry (the BookIn payload, the other ISBNs, the copies) or says why it is invalid.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import marshmallow as ma

from ..i18n import N_, label, said, said_all
from ..models.circulation import BARCODE_MAX, CALL_NUMBER_MAX, LOCATION_MAX, NOTES_MAX
from ..schemas.books import BookIn
from . import isbn as isbn_service
from . import search

COPY_STATUSES_IN = ("available", "lost", "withdrawn")  # what a file may say; loans are not imported
CODE = re.compile(r"^[A-Za-z0-9._/-]+$")
SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


@dataclass
class Record:
    """A book as read from a file, before any rule is applied."""

    number: int  # 1-based position in the file
    values: dict = field(default_factory=dict)  # title, subtitle, authors [names], publisher, year, ...
    isbns: list = field(default_factory=list)  # as written; the first valid one becomes the book's
    strict_isbn: bool = False  # CSV's isbn column: an invalid ISBN makes the record invalid (not just ignored)
    copies: list = field(default_factory=list)  # {barcode, location, call_number, notes, status}
    problems: list = field(default_factory=list)  # why it cannot be imported at all
    warnings: list = field(default_factory=list)  # what was left out of it
    raw: object = None  # what the rejected-records file gets back: bytes (MARC) or a list of cells (CSV)
    line: int | None = None  # a CSV row's line number

    @property
    def label(self) -> str:
        return f"line {self.line}" if self.line is not None else f"record {self.number}"

    @property
    def title(self) -> str:
        value = self.values.get("title")
        return value if isinstance(value, str) else ""


@dataclass
class Entry:
    """A record that passed the rules: what the importer writes."""

    record: Record
    data: dict  # BookIn's load: title, authors [{"name"}], isbn, subjects ...
    other_isbns: list
    copies: list
    title_key: str
    author_key: str

    @property
    def number(self):
        return self.record.number


def clean_text(value) -> str | None:
    """NFC, whitespace runs made single spaces, trimmed; None when empty."""
    if value is None:
        return None
    text = str(value)
    if not text.isascii():  # (ASCII is its own NFC)
        text = unicodedata.normalize("NFC", text)
    text = " ".join(text.split())
    return text or None


def clean_multiline(value) -> str | None:
    """NFC, line ends as \n, trimmed; None when empty (descriptions keep their lines)."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").strip()
    return text or None


@lru_cache(maxsize=65536)  # a catalog's authors repeat: each name is worked out once
def author_key(name: str | None) -> str:
    """A name's words in any order ("Le Guin, Ursula K." = "Ursula K. Le Guin"), lower case without accents."""
    return " ".join(sorted(search.tokens(name or "")))


def uninvert(name: str) -> str:
    """"Le Guin, Ursula K." -> "Ursula K. Le Guin"; "King, Martin Luther, Jr." -> "Martin Luther King Jr."."""
    parts = [part.strip() for part in name.split(",") if part.strip()]
    if len(parts) < 2:
        return name.strip()
    suffix = []
    if len(parts) > 2 and parts[-1].lower() in SUFFIXES:
        suffix = [parts.pop()]
    return " ".join([", ".join(parts[1:]), parts[0], *suffix])


def year_of(value) -> int | str | None:
    """A year from "1974", "c1974.", "[1974?]", "2004-09-01" or "9/1/2004"; other text is returned for the
    schema to refuse with its own message."""
    text = clean_text(value)
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    found = re.findall(r"(?<!\d)(\d{4})(?!\d)", text)
    return int(found[0]) if found else text


def _messages(errors: dict) -> list[str]:
    """"title: Missing data for required field." for each field the book schema refused, a nested one's messages
    under its field ("authors: Longer than maximum length 200."); labels and messages are translated when the
    report is read."""

    def leaves(value):
        if isinstance(value, dict):
            return [message for item in value.values() for message in leaves(item)]
        return [str(message) for message in value] if isinstance(value, list) else [str(value)]

    return [N_(f"{label('book field', key)}: {said_all(leaves(value))}") for key, value in errors.items()]


def _copy(raw: dict, index: int, warnings: list) -> dict | None:
    """A copy as the copies API would take it, or None (with a warning) when it cannot be made."""
    barcode = clean_text(raw.get("barcode"))
    if not barcode:
        warnings.append(N_(f"copy {index}: no barcode; the copy was left out (add it on the book's page)."))
        return None
    problems = []
    if len(barcode) > BARCODE_MAX or not CODE.match(barcode):
        problems.append(N_(f"barcode must be at most {BARCODE_MAX} letters, digits and . _ / -"))
    copy = {"barcode": barcode, "status": "available"}
    for key, limit in (("location", LOCATION_MAX), ("call_number", CALL_NUMBER_MAX), ("notes", NOTES_MAX)):
        value = clean_text(raw.get(key)) if key != "notes" else (str(raw["notes"]).strip() or None
                                                                  if raw.get("notes") else None)
        if value is not None and len(value) > limit:
            problems.append(N_(f"{label('copy field', key)} is longer than {limit} characters"))
        elif value is not None and search.has_bad_chars(value):
            problems.append(N_(f"{label('copy field', key)} is not valid text"))
        copy[key] = value
    status = clean_text(raw.get("status")) or "available"
    if status not in COPY_STATUSES_IN:
        status = "available"  # on_loan and the like: the loan is not imported, the copy is on the shelf
    copy["status"] = status
    if problems:
        warnings.append(N_(f"copy {index} ({barcode}): {said_all(problems)}; the copy was left out."))
        return None
    return copy


class _Fail(Exception):
    """The fast load met something it does not decide itself: the schema does, with its own messages."""


class FastLoad:
    """BookIn's load of an import payload, for the common case, at a fraction of marshmallow's cost: the same rules
    read from the schema's own fields (lengths, control characters, the year's range, list sizes, the language
    pattern). Anything it does not accept as plainly valid (a wrong type, a too long or blank value, a bad code)
    goes to the schema, so an invalid record gets exactly the schema's messages; a valid one gets the same data
    (tests/test_import.py holds the two equal over a table of valid and invalid payloads)."""

    def __init__(self, schema):
        from ..schemas.books import LANGUAGE_PATTERN, AuthorRef
        from ..schemas.common import Integer, Text

        self.schema = schema
        self.text = {}
        for name, f in schema.fields.items():
            if isinstance(f, Text):
                self.text[name] = self._text_rule(f)
        lists = {name: schema.fields[name] for name in ("authors", "subjects")}
        self.list_max = {name: min([v.max for v in f.validators if isinstance(v, ma.validate.Length) and v.max]
                                   + [10**9]) for name, f in lists.items()}
        self.subject = self._text_rule(lists["subjects"].inner)
        self.author = self._text_rule(AuthorRef().fields["name"])
        year = schema.fields["published_year"]
        ranges = [v for v in year.validators if isinstance(v, ma.validate.Range)]
        assert isinstance(year, Integer) and len(ranges) == 1 and ranges[0].min_inclusive and ranges[0].max_inclusive
        self.year = (ranges[0].min, ranges[0].max)
        self.language = re.compile(LANGUAGE_PATTERN)

    @staticmethod
    def _text_rule(f):
        return f.max_length, re.compile(f"{f.control.pattern}|[\ud800-\udfff]"), f.allow_none

    @staticmethod
    def _text(value, rule):
        limit, bad, allow_none = rule
        if value is None:
            if allow_none:
                return None
            raise _Fail
        if type(value) is not str or len(value) > limit or bad.search(value):
            raise _Fail
        value = value.strip()
        if not value:
            if allow_none:
                return None
            raise _Fail
        return value

    def load(self, payload: dict) -> dict:
        try:
            return self._load(payload)
        except _Fail:
            return self.schema.load(payload)

    def _load(self, payload: dict) -> dict:
        data = {}
        text = self._text
        for name, value in payload.items():
            rule = self.text.get(name)
            if rule is not None:
                data[name] = text(value, rule)
            elif name == "authors":
                if type(value) is not list or len(value) > self.list_max["authors"]:
                    raise _Fail
                authors = []
                for author in value:
                    if type(author) is not dict or author.keys() != {"name"}:
                        raise _Fail
                    authors.append({"name": text(author["name"], self.author)})
                data[name] = authors
            elif name == "subjects":
                if type(value) is not list or len(value) > self.list_max["subjects"]:
                    raise _Fail
                data[name] = [text(subject, self.subject) for subject in value]
            elif name == "published_year":
                if value is not None and (type(value) is not int or not self.year[0] <= value <= self.year[1]):
                    raise _Fail
                data[name] = value
            elif name == "language":
                if value is None or value == "":
                    data[name] = None
                elif type(value) is str and self.language.fullmatch(value):
                    data[name] = value.lower()
                else:
                    raise _Fail
            else:
                raise _Fail
        return data


_SCHEMA = None


def check(record: Record) -> Entry | None:
    """The record as an Entry, or None with record.problems saying why (record.warnings: what was left out)."""
    global _SCHEMA
    if record.problems:
        return None
    values = record.values
    valid = []
    for raw in record.isbns:
        text = clean_text(raw)
        if not text:
            continue
        token = re.match(r"[0-9Xx\- ]+", text)  # "0-06-051275-X (pbk.)": the number, not the qualifier
        candidate = token.group(0).strip() if token else text
        try:
            isbn13 = isbn_service.normalize(candidate[:32])
        except isbn_service.InvalidISBN as error:
            if record.strict_isbn and not valid:
                record.problems.append(N_(f"isbn: {said(error)} ({text})"))
                return None
            record.warnings.append(N_(f"ISBN {text}: {said(error)} It was left out."))
            continue
        if isbn13 not in valid:
            valid.append(isbn13)
    payload = {
        "title": values.get("title") or "",
        "subtitle": values.get("subtitle"),
        "authors": [{"name": name} for name in dict.fromkeys(values.get("authors") or []) if name],
        "publisher": values.get("publisher"),
        "published_year": year_of(values.get("year")),
        "language": values.get("language"),
        "subjects": list({s.lower(): s for s in reversed(values.get("subjects") or []) if s}.values())[::-1],
        "description": values.get("description"),
        "edition": values.get("edition"),
        "call_number": values.get("call_number"),
    }
    # Every key in every row (None for no value), so that a batch's rows go to the database as one INSERT. The
    # ISBN was validated above (ISBN field's own rule), not a second time by the schema.
    _SCHEMA = _SCHEMA or FastLoad(BookIn(exclude=("isbn",)))
    try:
        data = _SCHEMA.load(payload)
    except ma.ValidationError as error:
        record.problems += _messages(error.messages)
        return None
    data["isbn"] = valid[0] if valid else None
    copies, barcodes = [], set()
    for index, raw in enumerate(record.copies, start=1):
        copy = _copy(raw, index, record.warnings)
        if copy is None:
            continue
        if copy["barcode"] in barcodes:
            record.warnings.append(N_(f"copy {index} ({copy['barcode']}): the same barcode twice; left out."))
            continue
        barcodes.add(copy["barcode"])
        copies.append(copy)
    authors = data.get("authors") or []
    return Entry(record, data, valid[1:], copies, search.title_key(data["title"]) or "",
                 author_key(authors[0]["name"]) if authors else "")
