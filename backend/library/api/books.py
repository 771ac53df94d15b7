"""/api/v1/books: the catalog's books."""

from flask import url_for
from flask.views import MethodView
from ..errors import PROBLEM_JSON, ProblemSchema
from ..authz import PUBLIC, STAFF, access
from .base import Blueprint

from ..extensions import db
from ..schemas.books import BookIn, BookOut, BookPatch, BookQuery
from ..schemas.common import page_of
from ..services import catalog
from .pagination import LINK_HEADER, page_response

blp = Blueprint("books", __name__, url_prefix="/api/v1/books", description="Books in the catalog")
BookPage = page_of(BookOut, "BookPage")


def get_book_or_404(book_id):
    return db.first_or_404(catalog.book_query().where(catalog.Book.id == book_id), description=f"No book with id {book_id}.")


@blp.route("")
class BookList(MethodView):
    @access(PUBLIC)
    @blp.arguments(BookQuery, location="query")
    @blp.response(200, BookPage, headers=LINK_HEADER)
    def get(self, args):
        """List books, filtered, sorted and paginated"""
        items, total = catalog.list_books(args)
        return page_response(items, total, args)

    @access(STAFF)
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
    @blp.response(200, BookOut)
    def get(self, book_id):
        """Get one book"""
        return get_book_or_404(book_id)

    @access(STAFF)
    @blp.arguments(BookPatch)
    @blp.response(200, BookOut)
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON, description="Another book has this ISBN")
    def patch(self, data, book_id):
        """Change some of a book's fields"""
        return catalog.update_book(get_book_or_404(book_id), data)

    @access(STAFF)
    @blp.response(204)
    def delete(self, book_id):
        """Delete a book"""
        catalog.delete_book(get_book_or_404(book_id))
