"""Books out of the catalog: the archive (staff), archiving and restoring (services/retire.py)."""

from flask.views import MethodView

from ..authz import STAFF, access
from ..errors import PROBLEM_JSON, ProblemSchema
from ..extensions import db
from ..models import Book
from ..schemas.archive import ArchivedBookOut, ArchivedBookPage, ArchiveQuery
from ..schemas.books import BookOut
from ..services import catalog, retire
from .base import Blueprint, json_response
from .pagination import LINK_HEADER, page_response

blp = Blueprint("archive", __name__, url_prefix="/api/v1/books", description="Archived books")
CONFLICT = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}


def _book(book_id):
    return db.get_or_404(Book, book_id, description=f"No book with id {book_id}.")


@blp.route("/archived")
class ArchivedBooks(MethodView):
    @access(STAFF)
    @blp.doc(operationId="listArchivedBooks")
    @blp.arguments(ArchiveQuery, location="query")
    @blp.response(200, ArchivedBookPage, headers=LINK_HEADER)
    def get(self, args):
        """Books taken out of the catalog, most recently archived first"""
        ids, total = retire.archived_page(args)
        return json_response(*page_response(catalog.book_dicts(ids, archived=True), total, args))


@blp.route("/<id:book_id>/archive")
class ArchiveBook(MethodView):
    @access(STAFF)
    @blp.doc(operationId="archiveBook")
    @blp.response(200, ArchivedBookOut)
    @blp.alt_response(409, description="A copy is still in service, or the book is archived already", **CONFLICT)
    def post(self, book_id):
        """Take a book whose copies are all withdrawn out of the catalog and its search, keeping its loan history;
        its waiting holds are cancelled. Restore undoes it."""
        book = retire.archive_book(_book(book_id))
        return json_response(catalog.book_dicts([book.id], archived=True)[0])


@blp.route("/<id:book_id>/restore")
class RestoreBook(MethodView):
    @access(STAFF)
    @blp.doc(operationId="restoreBook")
    @blp.response(200, BookOut)
    @blp.alt_response(409, description="The book is not archived", **CONFLICT)
    def post(self, book_id):
        """Bring an archived book back into the catalog (its copies stay withdrawn until made available)"""
        book = retire.restore_book(_book(book_id))
        return json_response(catalog.book_dicts([book.id])[0])
