"""/api/v1/languages: the languages the catalog's books are in, for a language filter."""

from flask.views import MethodView

from ..authz import PUBLIC, access
from ..schemas.common import PageQuery
from ..schemas.languages import LanguagePage
from ..services import languages
from .base import ETAG_HEADER, Blueprint, conditional
from .pagination import LINK_HEADER, page_response

blp = Blueprint("languages", __name__, url_prefix="/api/v1", description="The catalog's languages")


@blp.route("/languages")
class LanguageList(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="listLanguages")
    @conditional(blp)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, LanguagePage, headers={**LINK_HEADER, **ETAG_HEADER})
    def get(self, args):
        """List the languages the books are in (ISO 639-1 codes with English names), by name, with their number of
        books; languages without books are not listed"""
        items, total = languages.catalog_languages(args)
        return page_response(items, total, args)
