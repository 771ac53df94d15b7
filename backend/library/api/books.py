"""/api/v1/books: the catalog's books."""

from flask import abort, redirect, url_for
from flask.views import MethodView
from ..errors import PROBLEM_JSON, ProblemSchema
from ..authz import PUBLIC, STAFF, access
from .base import ETAG_HEADER, Blueprint, conditional, data_version, json_response

from ..extensions import db
from ..schemas.books import DEEP_PAGE_LIMIT, BookIn, BookOut, BookPage, BookPatch, BookQuery
from ..services import catalog, merge, retire
from .pagination import BOOK_LINK_HEADER, book_page_response

blp = Blueprint("books", __name__, url_prefix="/api/v1/books", description="Books in the catalog")


def get_book_or_404(book_id, *, for_update=False):
    """The book with its authors and subjects; for_update: locked for this transaction first (catalog.locked)."""
    query = catalog.book_query().where(catalog.Book.id == book_id)
    return db.first_or_404(catalog.locked(query) if for_update else query, description=f"No book with id {book_id}.")


@blp.route("")
class BookList(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="listBooks")
    @conditional(blp)
    @blp.arguments(BookQuery, location="query")
    @blp.response(200, BookPage, headers={**BOOK_LINK_HEADER, **ETAG_HEADER})
    def get(self, args):
        """Search and list books: full text, filters, sort, facets, pages or a cursor"""
        page = catalog.book_page(args, data_version=data_version())
        return json_response(*book_page_response(page, args, DEEP_PAGE_LIMIT))

    @access(STAFF)
    @blp.doc(operationId="createBook")
    @blp.arguments(BookIn)
    @blp.response(201, BookOut, headers={"Location": {"description": "URL of the new book", "schema": {"type": "string"}}})
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON, description="A book with this ISBN already exists")
    def post(self, data):
        """Add a book; authors by id or by name (created when new), subjects by name"""
        book = catalog.create_book(data)
        return book, {"Location": url_for("books.BookItem", book_id=book.id)}


@blp.route("/<id:book_id>")
class BookItem(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="getBook")
    @conditional(blp)
    @blp.response(200, BookOut, headers=ETAG_HEADER)
    @blp.alt_response(301, description="The book was merged into another: Location is the survivor's URL",
                      headers={"Location": {"description": "URL of the book it was merged into", "schema": {"type": "string"}}})
    def get(self, book_id):
        """Get one book (a merged book's id answers 301 to the book it was merged into)"""
        found = catalog.book_dicts([book_id])
        if not found:
            survivor = merge.redirect_target(book_id)
            if survivor is not None:
                return redirect(url_for("books.BookItem", book_id=survivor), 301)
            abort(404, description=f"No book with id {book_id}.")
        return json_response(found[0])

    @access(STAFF)
    @blp.doc(operationId="updateBook")
    @blp.arguments(BookPatch)
    @blp.response(200, BookOut)
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON, description="Another book has this ISBN")
    def patch(self, data, book_id):
        """Change some of a book's fields"""
        return catalog.update_book(get_book_or_404(book_id, for_update=True), data)

    @access(STAFF)
    @blp.doc(operationId="deleteBook")
    @blp.response(204)
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="A copy is still in service, or the book has loan or hold history (archive it)")
    def delete(self, book_id):
        """Delete a book that never circulated, with its withdrawn copies (one with history is archived instead)"""
        retire.delete_book(get_book_or_404(book_id))
