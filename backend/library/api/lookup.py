"""/api/v1/lookup/isbn/{isbn}: a prefilled book from the metadata providers (staff)."""

from flask.views import MethodView

from ..authz import STAFF, access
from ..errors import PROBLEM_JSON, Problem, ProblemSchema
from ..schemas.books import ISBN_PATTERN
from ..schemas.lookup import LookupOut
from ..services import covers, lookup
from ..services import isbn as isbn_service
from .base import Blueprint

blp = Blueprint("lookup", __name__, url_prefix="/api/v1/lookup", description="ISBN lookup in book databases")


@blp.route("/isbn/<isbn>")
class IsbnLookup(MethodView):
    @access(STAFF)
    @blp.doc(operationId="lookupIsbn", parameters=[{
        "in": "path", "name": "isbn", "required": True, "description": "ISBN-10 or ISBN-13; hyphens allowed",
        "schema": {"type": "string", "maxLength": 32, "pattern": ISBN_PATTERN}}])
    @blp.response(200, LookupOut)
    @blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON, description="No provider knows the ISBN")
    @blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM_JSON, description="Not a valid ISBN")
    @blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_JSON, headers={
        "Retry-After": {"description": "Seconds until the providers may be asked again", "schema": {"type": "integer"}}},
        description="No provider found it and some could not be asked (down, slow or answering nonsense)")
    def get(self, isbn):
        """Look a book up by ISBN in the configured providers (Open Library by default); a cover comes with it"""
        try:
            isbn13 = isbn_service.normalize(isbn[:32])
        except isbn_service.InvalidISBN as error:
            raise Problem(422, "The request has invalid fields; see errors.", {"isbn": [str(error)]}) from None
        providers = lookup.current_lookup()
        if not providers.providers:
            raise Problem(503, "No ISBN lookup provider is configured (LIBRARY_LOOKUP_PROVIDERS).",
                          headers={"Retry-After": "3600"})
        try:
            result = providers.find(isbn13, covers.current_store())
        except lookup.NotFound:
            raise Problem(404, f"No book with ISBN {isbn_service.formatted(isbn13)} was found in "
                               f"{', '.join(p.label for p in providers.providers)}.") from None
        except lookup.Unavailable as error:
            raise Problem(503, str(error), headers={"Retry-After": str(error.retry_after)}) from None
        return {"isbn": isbn13, "provider": result.provider, "source_url": result.source_url, "book": result.book,
                "cover": covers.urls(result.book.get("cover_id"))}
