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


def _doc(operation_id, media, description, binary=False):
    schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    return blp.doc(operationId=operation_id, description=DESCRIPTION,
                   responses={"200": {"description": description, "content": {media: {"schema": schema}}}})


@blp.route("/books.csv")
class ExportCsv(MethodView):
    @access(STAFF)
    @_doc("exportBooksCsv", "text/csv", "One row per book in the columns import-books reads (lists separated by "
                                        "\";\"; copies' locations, call numbers and statuses aligned with the barcodes)")
    @blp.arguments(ExportQuery, location="query")
    def get(self, args):
        """The books as CSV"""
        return csv_response(f"books-{_stamp()}.csv", list(bookcsv.FIELDS), exporter.csv_rows(args))


@blp.route("/books.mrc")
class ExportMarc(MethodView):
    @access(STAFF)
    @_doc("exportBooksMarc", "application/marc", "MARC 21 in ISO 2709 (UTF-8), copies as Koha 952 holdings", True)
    @blp.arguments(ExportQuery, location="query")
    def get(self, args):
        """The books as MARC 21 (ISO 2709)"""
        return _file(exporter.marc_chunks(args), "application/marc", "mrc")


@blp.route("/books.xml")
class ExportMarcxml(MethodView):
    @access(STAFF)
    @_doc("exportBooksMarcxml", "application/marcxml+xml", "A MARCXML collection, copies as Koha 952 holdings")
    @blp.arguments(ExportQuery, location="query")
    def get(self, args):
        """The books as MARCXML"""
        return _file(exporter.marcxml_chunks(args), "application/marcxml+xml", "xml")


@blp.route("/books.json")
class ExportJson(MethodView):
    @access(STAFF)
    @_doc("exportBooksJson", "application/json", "{\"books\": [...]}: each book as the API shows it, with "
                                                 "other_isbns and copies")
    @blp.arguments(ExportQuery, location="query")
    def get(self, args):
        """The books as JSON"""
        return _file(exporter.json_chunks(args), "application/json", "json")
