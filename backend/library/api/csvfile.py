"""CSV downloads: every CSV the product writes goes through csv_response, so one escaping rule applies to
every cell (no spreadsheet formula can ride in on a title, a barcode or a name)."""

import csv
import io
import re

from flask import current_app, stream_with_context

# A spreadsheet (Excel, LibreOffice, Google Sheets) reads a cell as a formula when it starts with one of these
# (full-width forms included, which some locales' spreadsheets accept), or with these after leading spaces.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# ... except values it reads as a literal: a plain number (-5, +1.5, -2e3) and a phone number in
# international notation, "+" and groups of digits separated by single spaces (+1 555 0100), where no
# operator stands between two operands. Anything else (-1-1, +1-555-0100, =HYPERLINK(...), @SUM(...)) is
# computed or looked up, so it is escaped.
LITERAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|\+[0-9]+(?: [0-9]+)+")


def csv_doc(what, note="UTF-8, a header row"):
    """The documented 200 of a CSV download, for @blp.doc(**csv_doc("The pull list"))."""
    return {"responses": {"200": {"description": f"{what} as CSV ({note})",
                                  "content": {"text/csv": {"schema": {"type": "string"}}}}}}


def cell(value) -> str:
    """A value as a CSV cell. Text a spreadsheet would evaluate as a formula gets a leading apostrophe (shown
    as text, not run); plain numbers and phone numbers stay as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if text.lstrip(" ").startswith(FORMULA_START) and not LITERAL.fullmatch(text):
        return "'" + text
    return text


def csv_response(filename: str, header: list[str], rows):
    """A streamed CSV attachment: the header, then each row (an iterable of values) escaped by cell().
    rows may be a generator that reads the database as it goes (the request's context stays open)."""

    def generate():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for count, row in enumerate(rows, 1):
            writer.writerow([cell(value) for value in row])
            if count % 500 == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return current_app.response_class(stream_with_context(generate()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
