"""MARC 21 in and out: ISO 2709 (.mrc, MARC-8 or UTF-8) and MARCXML, read record by record with bounded memory,
mapped to the catalog's fields; and a book written back as a MARC record with its copies as Koha 952 holdings.

The mapping (facts from the MARC 21 format and Koha's default framework, not Koha's code):
  020 $a        ISBNs, all of them: the first valid one is the book's, the others are kept (book_isbn)
  100/110 $a    first author (a person's "Surname, Forenames" turned into "Forenames Surname"); 700/710 $a the others
  245 $a $n $p  title; 245 $b subtitle        250 $a edition
  264 (2nd indicator 1) or 260 $b, $c         publisher, year (else 008/07-10)
  041 $a, else 008/35-37                      language (MARC's three-letter codes turned into ISO 639-1)
  520 $a        description                 600-655 $a with $x $y $z $v subdivisions joined by " -- ": subjects
  092, 090, 099, 082, 050 $a $b               the book's call number (local ones first)
  952 (Koha)    copies: $p barcode, $c shelving location (else $a home library), $o call number, $x/$z notes,
                $1 lost, $0 withdrawn
  852 (MARC)    copies: $p barcode, $c shelving location (else $b, $a), $k $h $i $m call number (else $j), $x/$z notes
Punctuation that ISBD puts between fields (" /", " :", a final ".") is removed, except in records that say they
have none (leader/18 = c), such as our own exports.

Hostile files are read safely: an ISO 2709 stream is cut at record terminators (so a wrong leader length spoils
one record, not the rest), a record is at most MAX_RECORD_BYTES, MARCXML is parsed with defusedxml (no DTD, no
entities, no external references) in a stream with at most MAX_FIELDS fields and MAX_RECORD_CHARS characters a
record, and anything compressed is refused rather than unpacked.
"""

import re
import warnings
from collections import deque

import pycountry
import pymarc
from defusedxml import DefusedXmlException
from defusedxml.sax import make_parser
from pymarc.marcxml import XmlHandler
from xml.sax import SAXException
from xml.sax.handler import feature_namespaces

from ..i18n import N_
from .records import Record, clean_multiline, clean_text, uninvert

RECORD_TERMINATOR = b"\x1d"
MAX_RECORD_BYTES = 99_999  # ISO 2709: a record's length has five digits
MAX_FIELDS = 5_000  # a MARCXML record with more is refused (ISO 2709 cannot hold more than about 8 000)
MAX_RECORD_CHARS = 1_000_000
BLOCK = 1 << 16
MARCXML_NS = "http://www.loc.gov/MARC21/slim"
# The compressed formats an upload is refused in (the code; i18n.LABELS["file kind"] says it in words).
COMPRESSED = {b"PK\x03\x04": "zip", b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ": "xz", b"7z\xbc\xaf": "7z",
              b"(\xb5/\xfd": "zstd"}
CALL_NUMBER_TAGS = ("092", "090", "099", "082", "050")
SUBJECT_TAGS = ("600", "610", "611", "630", "647", "648", "650", "651", "653", "655")
ISBD_END = re.compile(r"(\s*[/:;=,])+\s*$")


class FileError(ValueError):
    """The file as a whole cannot be read (compressed, not MARC, not well-formed XML ...)."""


def compressed_kind(head: bytes) -> str | None:
    for magic, name in COMPRESSED.items():
        if head.startswith(magic):
            return name
    return None


# --- reading ------------------------------------------------------------------------------------------

def iso2709_chunks(stream):
    """(number, bytes, problem) for each record of an ISO 2709 stream, cut at the record terminator (0x1D)."""
    buffer, number, skipping = b"", 0, False
    while True:
        block = stream.read(BLOCK)
        if not block:
            break
        buffer += block
        start = 0
        while True:
            end = buffer.find(RECORD_TERMINATOR, start)
            if end < 0:
                break
            chunk, start = buffer[start:end + 1], end + 1
            if skipping:  # the tail of an over-long record
                skipping = False
                continue
            number += 1
            yield number, chunk, None
        buffer = buffer[start:]
        if len(buffer) > MAX_RECORD_BYTES and not skipping:
            number += 1
            yield number, None, N_(f"no end-of-record mark within {MAX_RECORD_BYTES:,} bytes (ISO 2709's largest "
                                   "record); the record was skipped")
            skipping = True
        if skipping:
            buffer = b""
    rest = buffer.strip(b"\r\n\x1a \x00")
    if rest and not skipping:
        number += 1
        yield number, rest, N_("the file ends in the middle of this record (truncated: no end-of-record mark)")


def decode_iso2709(number: int, chunk: bytes | None, problem: str | None) -> Record:
    record = Record(number, raw=chunk)
    if problem:
        record.problems.append(problem)
        if chunk is None or not chunk[:5].isdigit():
            return record
    leader = chunk[:24]
    if len(leader) < 24 or not leader[:5].isdigit() or not leader[12:17].isdigit():
        record.problems.append(N_("not a MARC record: the leader (its first 24 bytes) is not valid"))
        return record
    declared = int(leader[:5])
    if declared != len(chunk) and not record.problems:
        record.problems.append(N_(f"the leader gives the record's length as {declared} bytes, but it has {len(chunk)}"))
    if record.problems:
        return record
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            marc = pymarc.Record(data=chunk, to_unicode=True, hide_utf8_warnings=True, utf8_handling="strict")
        if caught:
            record.warnings.append(N_(f"{len(caught)} damaged subfield code(s) were read as best they could be."))
    except UnicodeDecodeError as error:
        record.problems.append(N_(f"not valid UTF-8 (the leader says UTF-8): byte 0x{error.object[error.start]:02X} "
                                  "cannot start a character"))
        return record
    except Exception as error:  # pymarc's RecordLengthInvalid, BaseAddressInvalid, ValueError on a bad directory ...
        record.problems.append(N_(f"not a valid MARC record ({error.__class__.__name__}: "
                                  f"{str(error)[:200] or 'the directory does not match the data'})"))
        return record
    return from_marc(marc, record)


class _Handler(XmlHandler):
    """pymarc's MARCXML handler, collecting records into a queue, with limits on a record's size."""

    def __init__(self):
        super().__init__(normalize_form="NFC")
        self.done = deque()
        self.number = 0
        self._chars = self._fields = 0
        self._too_big = None

    def startElementNS(self, name, qname, attrs):
        element = name[1]
        if element == "record":
            self._chars = self._fields = 0
            self._too_big = None
        elif element in ("datafield", "controlfield"):
            self._fields += 1
            if self._fields > MAX_FIELDS and self._too_big is None:
                self._too_big = f"more than {MAX_FIELDS:,} fields"
        if self._too_big and element != "record":
            self._text = []
            return
        super().startElementNS(name, qname, attrs)

    def endElementNS(self, name, qname):
        element = name[1]
        if element == "record":
            self.number += 1
            if self._too_big:
                record = Record(self.number)
                record.problems.append(N_(f"the record is too large ({self._too_big}); it was skipped"))
                self.done.append(record)
                self._record, self._too_big = None, None
                self._text = []
                return
        elif self._too_big:
            self._text = []
            return
        super().endElementNS(name, qname)

    def characters(self, content):
        if self._too_big:
            return
        self._chars += len(content)
        if self._chars > MAX_RECORD_CHARS:
            self._too_big = f"more than {MAX_RECORD_CHARS:,} characters"
            self._text = []
            return
        super().characters(content)

    def process_record(self, marc):
        record = Record(self.number, raw=marc)
        self.done.append(from_marc(marc, record))


def read_marcxml(stream):
    """Records of a MARCXML file (a <collection> of <record>s, or one <record>), in a stream."""
    handler = _Handler()
    parser = make_parser()
    parser.forbid_dtd, parser.forbid_entities, parser.forbid_external = True, True, True
    parser.setFeature(feature_namespaces, 1)
    parser.setContentHandler(handler)
    try:
        while True:
            block = stream.read(BLOCK)
            if not block:
                parser.close()
                break
            parser.feed(block)
            while handler.done:
                yield handler.done.popleft()
    except DefusedXmlException:
        raise FileError(N_("The XML file declares a DTD or entities, which MARCXML never needs; it was refused "
                        "(this is how XML entity-expansion attacks work).")) from None
    except SAXException as error:
        message = error.getMessage() if hasattr(error, "getMessage") else str(error)
        line, column = (error.getLineNumber(), error.getColumnNumber()) if hasattr(error, "getLineNumber") else (0, 0)
        while handler.done:
            yield handler.done.popleft()
        if handler.number == 0:
            raise FileError(N_(f"The file is not well-formed XML at line {line}, column {column}: {message}.") if line
                            else N_(f"The file is not well-formed XML: {message}.")) from None
        record = Record(handler.number + 1)
        record.problems.append(
            N_(f"the XML is broken at line {line}, column {column} ({message}): this record and any after it could "
               "not be read") if line else
            N_(f"the XML is broken ({message}): this record and any after it could not be read"))
        yield record
        return
    while handler.done:
        yield handler.done.popleft()


def read_iso2709(stream):
    for number, chunk, problem in iso2709_chunks(stream):
        yield decode_iso2709(number, chunk, problem)


# --- MARC -> catalog ------------------------------------------------------------------------------------

def _isbd(value: str | None, isbd: bool) -> str | None:
    """A subfield's text without the ISBD punctuation that separates it from the next one."""
    text = clean_text(value)
    if text is None or not isbd:
        return text
    text = ISBD_END.sub("", text)
    if text.endswith(".") and not re.search(r"(\b\w\.|\.\.)$", text) and not text.endswith((" etc.", " ed.")):
        text = text[:-1]  # "Harper." -> "Harper", but "Tolkien, J. R. R." keeps its initial
    return text.strip() or None


def _first(marc, tags, code, isbd):
    for found in marc.get_fields(*tags):
        for value in found.get_subfields(code):
            text = _isbd(value, isbd)
            if text:
                return text
    return None


def _name(field, isbd) -> str | None:
    raw = " ".join(field.get_subfields("a"))
    if field.tag in ("100", "700") and field.indicator1 == "1":
        raw = uninvert(_isbd(raw, isbd) or "")
    return _isbd(raw, isbd)


def _language(marc) -> str | None:
    codes = [code for found in marc.get_fields("041") for code in found.get_subfields("a")]
    if not codes and "008" in marc and len(marc["008"].data or "") >= 38:
        codes = [marc["008"].data[35:38]]
    for code in codes:
        code = (code or "").strip().lower()[:3]
        if len(code) != 3 or code in ("und", "mul", "zxx", "   "):
            continue
        language = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
        if language is not None and getattr(language, "alpha_2", None):
            return language.alpha_2
    return None


def _year(marc, isbd) -> str | None:
    for found in marc.get_fields("264"):
        if found.indicator2 == "1" and found.get_subfields("c"):
            return found.get_subfields("c")[0]
    for found in marc.get_fields("260"):
        if found.get_subfields("c"):
            return found.get_subfields("c")[0]
    date1 = marc["008"].data[7:11] if "008" in marc and len(marc["008"].data or "") >= 11 else ""
    if date1.isdigit():
        return date1
    for found in marc.get_fields("264"):
        if found.get_subfields("c"):
            return found.get_subfields("c")[0]
    return None


def _publisher(marc, isbd) -> str | None:
    for found in marc.get_fields("264"):
        if found.indicator2 == "1" and (value := _isbd(" ".join(found.get_subfields("b")[:1]), isbd)):
            return value
    return _first(marc, ("260",), "b", isbd)


def _joined(field, codes, isbd, separator=" ") -> str | None:
    parts = [_isbd(value, isbd) for code in codes for value in field.get_subfields(code)]
    return separator.join(part for part in parts if part) or None


def _copies(marc) -> list[dict]:
    copies = []
    for found in marc.get_fields("952"):
        lost, withdrawn = found.get_subfields("1"), found.get_subfields("0")
        status = ("withdrawn" if withdrawn and withdrawn[0].strip() not in ("", "0") else
                  "lost" if lost and lost[0].strip() not in ("", "0") else "available")
        copies.append({
            "barcode": (found.get_subfields("p") or [None])[0],
            "location": (found.get_subfields("c") or found.get_subfields("a") or [None])[0],
            "call_number": (found.get_subfields("o") or [None])[0],
            "notes": "\n".join(found.get_subfields("x", "z")) or None,
            "status": status,
        })
    for found in marc.get_fields("852"):
        call = _joined(found, ("k", "h", "i", "m"), False) or (found.get_subfields("j") or [None])[0]
        copies.append({
            "barcode": (found.get_subfields("p") or [None])[0],
            "location": (found.get_subfields("c") or found.get_subfields("b") or found.get_subfields("a") or [None])[0],
            "call_number": call,
            "notes": "\n".join(found.get_subfields("x", "z")) or None,
        })
    return copies


def from_marc(marc, record: Record) -> Record:
    """Fill record.values, isbns and copies from a pymarc record."""
    isbd = str(marc.leader)[18:19] != "c"
    values = record.values
    title_field = marc["245"] if "245" in marc else None
    if title_field is not None:
        values["title"] = _joined(title_field, ("a", "n", "p"), isbd)
        values["subtitle"] = _joined(title_field, ("b",), isbd)
    authors = [_name(found, isbd) for found in marc.get_fields("100", "110", "700", "710")]
    values["authors"] = [name for name in authors if name]
    values["edition"] = _first(marc, ("250",), "a", isbd)
    values["publisher"] = _publisher(marc, isbd)
    values["year"] = _year(marc, isbd)
    values["language"] = _language(marc)
    descriptions = [clean_multiline(" ".join(found.get_subfields("a", "b"))) for found in marc.get_fields("520")]
    values["description"] = "\n\n".join(d for d in descriptions if d) or None
    values["subjects"] = [subject for found in marc.get_fields(*SUBJECT_TAGS)
                          if (subject := _joined(found, ("a", "x", "y", "z", "v"), isbd, " -- "))]
    for tag in CALL_NUMBER_TAGS:
        if tag in marc and (call := _joined(marc[tag], ("a", "b"), False)):
            values["call_number"] = call
            break
    record.isbns = [value for found in marc.get_fields("020") for value in found.get_subfields("a")]
    record.copies = _copies(marc)
    return record


# --- catalog -> MARC ------------------------------------------------------------------------------------

def _field(tag, ind1=" ", ind2=" ", **subfields):
    pairs = [pymarc.Subfield(code.removeprefix("_"), value) for code, value in subfields.items() if value]
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(ind1, ind2), subfields=pairs)


def _author_field(tag, author):
    from .names import sort_name

    name, stored = author["name"], author.get("sort_name") or ""
    if "," in stored and uninvert(stored) == name and sort_name(name) == stored:
        return _field(tag, "1", _a=stored)
    return _field(tag, "0", _a=name)


def to_marc(book: dict) -> pymarc.Record:
    """A book (as exporter.book_rows gives it: authors, subjects, other_isbns, copies) as a MARC 21 record,
    UTF-8, without ISBD punctuation (leader/18 = c), copies as Koha 952 holdings."""
    record = pymarc.Record(leader="     nam a22      c 4500", force_utf8=True)
    record.add_field(pymarc.Field(tag="001", data=str(book["id"])))
    language = book.get("language")
    code = "   "
    if language and (found := pycountry.languages.get(alpha_2=language)) is not None:
        code = getattr(found, "bibliographic", None) or found.alpha_3
    year = f"{book['published_year']:04d}" if book.get("published_year") else "    "
    record.add_field(pymarc.Field(tag="008", data=f"{'':6}s{year}{'':4}xx {'':17}{code} d"))
    for isbn in [book.get("isbn"), *book.get("other_isbns", [])]:
        if isbn:
            record.add_field(_field("020", _a=isbn))
    if language:
        record.add_field(_field("041", "0", _a=code))
    if book.get("call_number"):
        record.add_field(_field("099", _a=book["call_number"]))
    authors = book.get("authors") or []
    if authors:
        record.add_field(_author_field("100", authors[0]))
    record.add_field(_field("245", "1" if authors else "0", "0", _a=book["title"], _b=book.get("subtitle")))
    if book.get("edition"):
        record.add_field(_field("250", _a=book["edition"]))
    if book.get("publisher") or book.get("published_year"):
        record.add_field(_field("264", " ", "1", _b=book.get("publisher"),
                                _c=str(book["published_year"]) if book.get("published_year") else None))
    if book.get("description"):
        record.add_field(_field("520", _a=book["description"]))
    for subject in book.get("subjects") or []:
        record.add_field(_field("653", _a=subject))  # uncontrolled index terms: ours are not from a thesaurus
    for author in authors[1:]:
        record.add_field(_author_field("700", author))
    for copy in book.get("copies") or []:
        record.add_field(_field("952", _p=copy["barcode"], _c=copy.get("location"), _o=copy.get("call_number"),
                                _x=copy.get("notes"), _1="1" if copy["status"] == "lost" else None,
                                _0="1" if copy["status"] == "withdrawn" else None))
    return record


def as_iso2709(record: pymarc.Record) -> bytes:
    """The record in ISO 2709; one that would pass ISO 2709's 99 999 bytes keeps as many copies as fit (the
    MARCXML export has them all)."""
    data = record.as_marc()
    while len(data) > MAX_RECORD_BYTES:
        holdings = record.get_fields("952")
        if holdings:
            record.remove_field(holdings[-1])
        elif record.get_fields("520"):
            record.remove_field(record.get_fields("520")[0])
        else:
            break
        data = record.as_marc()
    return data


def as_marcxml(record: pymarc.Record) -> bytes:
    return pymarc.record_to_xml(record)
