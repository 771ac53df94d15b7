"""/api/v1/duplicates and /api/v1/books/{id}/merge: likely duplicate books, and merging them (staff)."""

from flask.views import MethodView

from ..authz import STAFF, access
from ..errors import PROBLEM_JSON, ProblemSchema
from ..schemas.books import BookOut
from ..schemas.common import PageQuery, page_of
from ..schemas.merge import DuplicateGroup, MergeIn
from ..services import duplicates, merge, settings
from .base import Blueprint, json_response
from .books import get_book_or_404
from .pagination import LINK_HEADER, page_response

blp = Blueprint("merge", __name__, url_prefix="/api/v1", description="Duplicate books and merging them")
DuplicatePage = page_of(DuplicateGroup, "DuplicatePage")


@blp.route("/duplicates")
class Duplicates(MethodView):
    @access(STAFF)
    @blp.doc(operationId="listDuplicates")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, DuplicatePage, headers=LINK_HEADER)
    def get(self, args):
        """Groups of likely duplicate books (a shared ISBN, or the same normalised title and first author), best
        score first"""
        items, total = duplicates.page(args)
        return json_response(*page_response(items, total, args))  # books already in BookOut's shape (book_dicts)


@blp.route("/books/<id:book_id>/merge")
class BookMerge(MethodView):
    @access(STAFF)
    @blp.doc(operationId="mergeBooks")
    @blp.arguments(MergeIn)
    @blp.response(200, BookOut)
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="A book is archived (restore it first), or the books changed meanwhile (a "
                                  "concurrent write; try again)")
    def post(self, data, book_id):
        """Merge other books into this one: it keeps its fields and fills the empty ones from them, and takes their
        copies (with their loans), holds and ISBNs; they are deleted, and their ids answer 301 to this book"""
        get_book_or_404(book_id)
        return merge.merge(book_id, data["from_"], settings.rules())
