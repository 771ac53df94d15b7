"""/api/v1/authors and /api/v1/subjects."""

from flask import url_for
from flask.views import MethodView
from ..errors import PROBLEM_JSON, ProblemSchema
from ..authz import PUBLIC, STAFF, access
from .base import Blueprint, json_response

from ..errors import Problem
from ..schemas.authors import AuthorIn, AuthorMergeIn, AuthorOut, AuthorPatch, AuthorQuery, SubjectOut, SubjectQuery
from ..schemas.books import DEEP_PAGE_LIMIT, BookPage, BookQuery
from ..schemas.common import page_of
from ..services import authors as author_service, catalog
from .pagination import BOOK_LINK_HEADER, LINK_HEADER, book_page_response, page_response

blp = Blueprint("authors", __name__, url_prefix="/api/v1", description="Authors and subjects")
AuthorPage = page_of(AuthorOut, "AuthorPage")
SubjectPage = page_of(SubjectOut, "SubjectPage")


def get_author_or_404(author_id):
    author = catalog.author_with_count(author_id)
    if author is None:
        raise Problem(404, f"No author with id {author_id}.")
    return author


@blp.route("/authors")
class AuthorList(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="listAuthors")
    @blp.arguments(AuthorQuery, location="query")
    @blp.response(200, AuthorPage, headers=LINK_HEADER)
    def get(self, args):
        """List authors by sort name"""
        items, total = catalog.list_authors(args)
        return page_response(items, total, args)

    @access(STAFF)
    @blp.doc(operationId="createAuthor")
    @blp.arguments(AuthorIn)
    @blp.response(201, AuthorOut, headers={"Location": {"description": "URL of the new author", "schema": {"type": "string"}}})
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON, description="An author with this name already exists")
    def post(self, data):
        """Add an author; sort_name is derived ("Last, First") unless given"""
        author = catalog.save_author(catalog.Author(), data)
        return author, {"Location": url_for("authors.AuthorItem", author_id=author.id)}


@blp.route("/authors/<id:author_id>")
class AuthorItem(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="getAuthor")
    @blp.response(200, AuthorOut)
    def get(self, author_id):
        """Get one author"""
        return get_author_or_404(author_id)

    @access(STAFF)
    @blp.doc(operationId="updateAuthor")
    @blp.arguments(AuthorPatch)
    @blp.response(200, AuthorOut)
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="Another author has this name (errors.name), or another request changed or deleted "
                                  "the author meanwhile (reload and try again)")
    def patch(self, data, author_id):
        """Rename an author or change the sort name"""
        return catalog.save_author(get_author_or_404(author_id), data)

    @access(STAFF)
    @blp.doc(operationId="deleteAuthor")
    @blp.response(204)
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON, description="The author still has books")
    def delete(self, author_id):
        """Delete an author who has no books"""
        catalog.delete_author(get_author_or_404(author_id))


@blp.route("/authors/<id:author_id>/merge")
class AuthorMerge(MethodView):
    @access(STAFF)
    @blp.doc(operationId="mergeAuthors")
    @blp.arguments(AuthorMergeIn)
    @blp.response(200, AuthorOut)
    def post(self, data, author_id):
        """Merge another author into this one: their books move here (audited) and they are deleted"""
        author_service.merge(get_author_or_404(author_id), data["duplicate_id"])
        return get_author_or_404(author_id)


@blp.route("/authors/<id:author_id>/books")
class AuthorBooks(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="listAuthorBooks")
    @blp.arguments(BookQuery, location="query")
    @blp.response(200, BookPage, headers=BOOK_LINK_HEADER)
    def get(self, args, author_id):
        """List an author's books (same filters and sorts as /books)"""
        get_author_or_404(author_id)
        return json_response(*book_page_response(catalog.book_page({**args, "author": author_id}), args,
                                                 DEEP_PAGE_LIMIT))


@blp.route("/subjects")
class SubjectList(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="listSubjects")
    @blp.arguments(SubjectQuery, location="query")
    @blp.response(200, SubjectPage, headers=LINK_HEADER)
    def get(self, args):
        """List subjects with their number of books"""
        items, total = catalog.list_subjects(args)
        return page_response(items, total, args)
