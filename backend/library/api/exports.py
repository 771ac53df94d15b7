"""/api/v1/exports: the catalog (or a search's books) with copies, as CSV, MARC 21, MARCXML or JSON, streamed."""

from datetime import date

from flask import Response, stream_with_context
from flask.views import MethodView

from ..authz import STAFF, access
from ..schemas.imports import ExportQuery
from ..services import bookcsv, exporter
from .base import Blueprint
from .csvfile import csv_response

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports", description="Catalog exports")
DESCRIPTION = ("Every book the filters find (the book list's q, isbn, author, subject, language, year_from, year_to, "
               "available; none: the whole catalog), in id order, with copies, streamed as it is read.")


def _stamp():
    return date.today().isoformat()


def _file(chunks, mimetype, extension):
    return Response(stream_with_context(chunks), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="books-{_stamp()}.{extension}"', "Cache-Control": "no-store"})


def _export(extension, operation_id, media, summary, description, respond, binary=False, schema=None):
    """Register GET /api/v1/exports/books.<extension>: staff only, the book list's filters, a streamed file."""

    def get(self, args):
        return respond(args)

    get.__doc__ = summary
    schema = schema or ({"type": "string", "format": "binary"} if binary else {"type": "string"})
    get = blp.arguments(ExportQuery, location="query")(get)
    get = blp.doc(operationId=operation_id, description=DESCRIPTION,
                  responses={"200": {"description": description, "content": {media: {"schema": schema}}}})(get)
    blp.route(f"/books.{extension}")(type(operation_id[:1].upper() + operation_id[1:], (MethodView,),
                                          {"get": access(STAFF)(get)}))


_export("csv", "exportBooksCsv", "text/csv", "The books as CSV",
        "One row per book in the columns import-books reads (lists separated by \";\"; copies' locations, call "
        "numbers and statuses aligned with the barcodes)",
        lambda args: csv_response(f"books-{_stamp()}.csv", list(bookcsv.FIELDS), exporter.csv_rows(args)))
_export("mrc", "exportBooksMarc", "application/marc", "The books as MARC 21 (ISO 2709)",
        "MARC 21 in ISO 2709 (UTF-8), copies as Koha 952 holdings",
        lambda args: _file(exporter.marc_chunks(args), "application/marc", "mrc"), binary=True)
_export("xml", "exportBooksMarcxml", "application/marcxml+xml", "The books as MARCXML",
        "A MARCXML collection, copies as Koha 952 holdings",
        lambda args: _file(exporter.marcxml_chunks(args), "application/marcxml+xml", "xml"))
_export("json", "exportBooksJson", "application/json", "The books as JSON",
        "{\"books\": [...]}: each book as the API shows it, with other_isbns and copies",
        lambda args: _file(exporter.json_chunks(args), "application/json", "json"),
        schema={"type": "object", "required": ["books"], "properties": {"books": {"type": "array", "items": {
            "type": "object", "description": "A book as GET /api/v1/books/{id} shows it (without availability), "
                                             "with other_isbns and copies"}}}})
