"""CSV downloads: every CSV the product writes goes through csv_response, so one escaping rule applies to
every cell (no spreadsheet formula can ride in on a title, a barcode or a name)."""

import csv
import io

from flask import current_app, stream_with_context

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A value as a CSV cell; text a spreadsheet would evaluate as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


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
