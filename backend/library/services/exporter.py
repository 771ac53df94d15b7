"""The catalog out: every book a list's filters find (or all of them), with its authors, subjects, ISBNs and copies,
as CSV (the columns import-books reads), MARC 21 (ISO 2709, copies as Koha 952 holdings), MARCXML or JSON.

Books are read in id order, CHUNK at a time (a keyset walk: each chunk is one range of the primary key), and
written as they are read, so an export of a million books needs no more memory than one of a hundred.
"""

import json

from sqlalchemy import select

from ..extensions import db
from ..models import Book, Copy
from . import catalog, marc
from .bookcsv import FIELDS

CHUNK = 500


def books(args: dict):
    """Book dicts (as the API shows a book, other_isbns included, plus its copies), in id order."""
    ids_query = catalog.matching_ids(args)
    after = 0
    while True:
        ids = db.session.scalars(ids_query.where(Book.id > after).order_by(Book.id).limit(CHUNK)).all()
        if not ids:
            return
        copies = {}
        for row in db.session.execute(select(Copy.book_id, Copy.barcode, Copy.location, Copy.call_number, Copy.notes,
                                             Copy.status).where(Copy.book_id.in_(ids)).order_by(Copy.book_id, Copy.id)):
            copies.setdefault(row.book_id, []).append({"barcode": row.barcode, "location": row.location,
                                                       "call_number": row.call_number, "notes": row.notes,
                                                       "status": row.status})
        for book in catalog.book_dicts(ids):
            book["copies"] = copies.get(book["id"], [])
            yield book
        after = ids[-1]


def _joined(values, keep_empty=False):
    values = ["" if v is None else str(v) for v in values]
    if keep_empty:
        return ";".join(values) if any(values) else ""
    return ";".join(v for v in values if v)


def csv_row(book: dict) -> list:
    """A book as a row of bookcsv.FIELDS; list values joined with ";", copies' values aligned with the barcodes."""
    copies = book["copies"]
    values = {
        "title": book["title"], "subtitle": book["subtitle"], "authors": _joined(a["name"] for a in book["authors"]),
        "isbn": book["isbn"], "other_isbns": _joined(book["other_isbns"]), "edition": book.get("edition"),
        "publisher": book["publisher"], "year": book["published_year"], "language": book["language"],
        "subjects": _joined(book["subjects"]), "description": book["description"],
        "call_number": book.get("call_number"), "barcodes": _joined(c["barcode"] for c in copies),
        "copy_locations": _joined((c["location"] for c in copies), keep_empty=True),
        "copy_call_numbers": _joined((c["call_number"] for c in copies), keep_empty=True),
        "copy_statuses": _joined((c["status"] for c in copies), keep_empty=True) if any(
            c["status"] in ("lost", "withdrawn") for c in copies) else "",
    }
    return [values[name] for name in FIELDS]


def csv_rows(args: dict):
    return (csv_row(book) for book in books(args))


def marc_chunks(args: dict):
    for book in books(args):
        yield marc.as_iso2709(marc.to_marc(book))


def marcxml_chunks(args: dict):
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
    for book in books(args):
        yield marc.as_marcxml(marc.to_marc(book)) + b"\n"
    yield b"</collection>\n"


def json_chunks(args: dict):
    yield b'{"books": ['
    first = True
    for book in books(args):
        book.pop("availability", None)
        yield (b"" if first else b",") + b"\n" + json.dumps(book, ensure_ascii=False).encode()
        first = False
    yield b"\n]}\n"
