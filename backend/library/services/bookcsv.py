"""Books as CSV: the columns the export writes (and the import reads without a mapping), a suggested mapping for
any other header row (a Libib export, Koha's or Evergreen's CSV reports, Goodreads, a spreadsheet), and a reader
that turns rows into Records through a mapping.

A mapping is {"fields": [field or null for each column, in order], "separator": ";" or ","}: the separator splits
list fields (authors, subjects, other ISBNs, copies' values). A cell that a spreadsheet would read as a formula was
written with a leading apostrophe by our exports (api/csvfile.cell); that apostrophe is removed again on import.
"""

import csv
import io
import re

from ..i18n import N_
from .records import Record, clean_text

FIELDS = ("title", "subtitle", "authors", "isbn", "other_isbns", "edition", "publisher", "year", "language",
          "subjects", "description", "call_number", "barcodes", "copy_locations", "copy_call_numbers",
          "copy_statuses")
LIST_FIELDS = frozenset({"authors", "subjects", "other_isbns", "barcodes", "copy_locations", "copy_call_numbers",
                         "copy_statuses"})
COPY_FIELDS = ("copy_locations", "copy_call_numbers", "copy_statuses")  # one value per barcode, in the same order
SEPARATORS = (";", ",", "|")
FIELD_LABELS = {
    "title": "Title", "subtitle": "Subtitle", "authors": "Authors", "isbn": "ISBN", "other_isbns": "Other ISBNs",
    "edition": "Edition", "publisher": "Publisher", "year": "Year published", "language": "Language",
    "subjects": "Subjects", "description": "Description", "call_number": "Call number", "barcodes": "Copies: barcodes",
    "copy_locations": "Copies: locations", "copy_call_numbers": "Copies: call numbers",
    "copy_statuses": "Copies: statuses",
}
# Header names seen in real exports (lower case, runs of other characters as "_"), and the field each means.
ALIASES = {
    "title": "title", "titel": "title", "titre": "title", "book_title": "title",
    "subtitle": "subtitle", "remainder_of_title": "subtitle",
    "authors": "authors", "author": "authors", "creators": "authors", "creator": "authors", "writer": "authors",
    "writers": "authors", "auteur": "authors", "autor": "authors", "additional_authors": "authors",
    "isbn": "isbn", "isbn13": "isbn", "isbn_13": "isbn", "ean_isbn13": "isbn", "ean": "isbn",
    "isbn10": "other_isbns", "isbn_10": "other_isbns", "upc_isbn10": "other_isbns", "other_isbns": "other_isbns",
    "edition": "edition",
    "publisher": "publisher", "publishers": "publisher", "publisher_name": "publisher", "verlag": "publisher",
    "year": "year", "published_year": "year", "publish_date": "year", "publication_date": "year",
    "date_published": "year", "year_published": "year", "pub_date": "year", "publicationyear": "year",
    "copyrightdate": "year", "publication_year": "year",
    "language": "language", "lang": "language",
    "subjects": "subjects", "subject": "subjects", "tags": "subjects", "genre": "subjects", "genres": "subjects",
    "categories": "subjects", "keywords": "subjects",
    "description": "description", "summary": "description", "abstract": "description",
    "call_number": "call_number", "callnumber": "call_number", "dewey": "call_number", "ddc": "call_number",
    "lcc": "call_number", "shelfmark": "call_number", "classification": "call_number",
    "barcode": "barcodes", "barcodes": "barcodes", "item_barcode": "barcodes",
    "location": "copy_locations", "locations": "copy_locations", "copy_locations": "copy_locations",
    "shelving_location": "copy_locations", "itemcallnumber": "copy_call_numbers",
    "copy_call_numbers": "copy_call_numbers", "copy_statuses": "copy_statuses",
}
FORMULA_ESCAPED = re.compile(r"^'[=+\-@\t\r]")
UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept as surrogates (text_stream)
MAX_COLUMNS = 200
FIELD_SIZE_LIMIT = 1_000_000  # characters in one cell


def header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", (name or "").strip().lower()).strip("_")


def suggest_mapping(header: list[str]) -> dict:
    """A mapping for this header: known names mapped, the rest ignored; a second column for a one-value field
    is ignored, except a second ISBN column, which gives other ISBNs. Libib lists authors and tags with commas."""
    fields, taken = [], set()
    for name in header:
        target = ALIASES.get(header_key(name))
        if target == "isbn" and "isbn" in taken:
            target = "other_isbns"
        if target is not None and target not in LIST_FIELDS and target in taken:
            target = None
        if target is not None:
            taken.add(target)
        fields.append(target)
    keys = {header_key(name) for name in header}
    separator = "," if keys & {"ean_isbn13", "upc_isbn10", "libib_author", "creators"} else ";"
    return {"fields": fields, "separator": separator}


def check_mapping(mapping, columns: int) -> list[str]:
    """What is wrong with a mapping for a file with this many columns (empty: nothing)."""
    fields = mapping.get("fields") if isinstance(mapping, dict) else None
    problems = []
    if not isinstance(fields, list) or len(fields) != columns:
        return [f"Give a field (or null) for each of the file's {columns} columns."]
    unknown = [f for f in fields if f is not None and f not in FIELDS]
    if unknown:
        problems.append(f"Unknown field {unknown[0]!r}; choose from {', '.join(FIELDS)}.")
    scalars = [f for f in fields if f is not None and f not in LIST_FIELDS]
    twice = sorted({f for f in scalars if scalars.count(f) > 1})
    if twice:
        problems.append(f"Only one column can be {twice[0]!r}.")
    if "title" not in fields:
        problems.append("Choose the column that holds the title.")
    if mapping.get("separator", ";") not in SEPARATORS:
        problems.append(f"The separator is one of {' '.join(SEPARATORS)}.")
    return problems


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def text_stream(binary):
    """The file as text: UTF-8 (a BOM is dropped); undecodable bytes are kept as surrogates, so the row that
    has them can be reported (and written back as it was) instead of the whole file failing."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")


def read_header(binary, sample: bool = False):
    """(header cells, delimiter) of a CSV file; with sample, (header, delimiter, the first row's cells)."""
    text = text_stream(binary)
    try:
        first = text.readline(FIELD_SIZE_LIMIT)
        delimiter = _delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter), [])
        row = []
        if sample:
            csv.field_size_limit(FIELD_SIZE_LIMIT)
            row = next(csv.reader(text, delimiter=delimiter), [])
    finally:
        text.detach()

    def shown(cell, limit=None):
        return (clean_text(cell.encode("utf-8", "surrogateescape").decode("utf-8", "replace")) or "")[:limit]

    header = [shown(cell) for cell in header]
    if not sample:
        return header, delimiter
    return header, delimiter, [shown(cell, 200) for cell in row[:len(header)]]


def _cell(value: str) -> str:
    return value[1:] if FORMULA_ESCAPED.match(value) else value


def _split(value: str, separator: str) -> list[str]:
    return [part.strip() for part in value.split(separator) if part.strip()]


def read_rows(binary, mapping: dict, strict_isbn: bool = True):
    """Records from a CSV file (header on line 1) through a mapping."""
    fields = mapping["fields"]
    separator = mapping.get("separator") or ";"
    text = text_stream(binary)
    try:
        yield from _rows(text, fields, separator, strict_isbn)
    finally:
        text.detach()  # the caller closes the file


def _rows(text, fields, separator, strict_isbn):
    first = text.readline(FIELD_SIZE_LIMIT)
    delimiter = _delimiter(first)
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(text, delimiter=delimiter)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            number += 1
            record = Record(number, line=reader.line_num + 1)
            record.problems.append(N_(f"the row cannot be read as CSV ({error})"))
            yield record
            continue
        if not any(cell.strip() for cell in cells):
            continue
        number += 1
        record = Record(number, raw=cells, line=reader.line_num + 1, strict_isbn=strict_isbn)
        if UNDECODED.search("\x00".join(cells)):
            record.problems.append(N_("the row is not valid UTF-8 (save the file as UTF-8 and import it again)"))
            yield record
            continue
        if len(cells) > len(fields) and any(cell.strip() for cell in cells[len(fields):]):
            record.problems.append(N_(f"the row has {len(cells)} cells but the header names {len(fields)} columns"))
            yield record
            continue
        values = {}
        for target, cell in zip(fields, cells):
            if target is None:
                continue
            cell = _cell(cell)
            if target in COPY_FIELDS:  # positions matter: "Main;;Annex" is three copies' values
                values.setdefault(target, []).extend(
                    [part.strip() or None for part in cell.split(separator)] if cell.strip() else [])
            elif target in LIST_FIELDS:
                values.setdefault(target, []).extend(_split(cell, separator))
            elif cell.strip():
                values[target] = cell.strip() if target == "description" else clean_text(cell)
        isbns = []
        if values.get("isbn"):
            isbns.append(values.pop("isbn"))
        else:
            record.strict_isbn = False  # no isbn column value: other ISBNs give the book's, leniently
        record.isbns = isbns + values.pop("other_isbns", [])
        barcodes = values.pop("barcodes", [])
        spread = {key: values.pop(key, []) for key in COPY_FIELDS}

        def nth(items, index):
            return items[index] if index < len(items) else (items[0] if len(items) == 1 else None)

        record.copies = [{"barcode": barcode, "location": nth(spread["copy_locations"], i),
                          "call_number": nth(spread["copy_call_numbers"], i), "status": nth(spread["copy_statuses"], i)}
                         for i, barcode in enumerate(barcodes)]
        record.values = values
        yield record
