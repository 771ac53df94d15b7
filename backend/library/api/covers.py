"""/api/v1/covers: upload a cover image (staff). The one write whose body is not JSON."""

from flask.views import MethodView

from ..authz import STAFF, access
from ..errors import PROBLEM_JSON, Problem, ProblemSchema
from ..schemas.lookup import CoverOut
from ..services import covers
from .base import Blueprint, accepts_body, read_body

blp = Blueprint("covers", __name__, url_prefix="/api/v1/covers", description="Book cover images")

IMAGE_BODY = {"required": True, "description": "The image file itself (not a form): JPEG, PNG or WebP, at most "
                                               "5 MiB and 40 million pixels",
              "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in covers.CONTENT_TYPES}}


@blp.route("")
class CoverUpload(MethodView):
    @access(STAFF)
    @accepts_body(*covers.CONTENT_TYPES, max_bytes=covers.MAX_BYTES)
    @blp.doc(operationId="uploadCover", requestBody=IMAGE_BODY)
    @blp.response(201, CoverOut, headers={"Location": {"description": "URL of the large image", "schema": {"type": "string"}}})
    @blp.alt_response(413, schema=ProblemSchema, content_type=PROBLEM_JSON, description="Larger than 5 MiB")
    @blp.alt_response(415, schema=ProblemSchema, content_type=PROBLEM_JSON, description="Not image/jpeg, image/png or image/webp")
    @blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="Not a JPEG, PNG or WebP image, damaged, or too many pixels")
    def post(self):
        """Store a cover image: checked, re-encoded without its metadata (EXIF), resized for lists and the book
        page. Set the answer's id as a book's cover_id."""
        data = read_body(covers.CONTENT_TYPES, covers.MAX_BYTES)
        try:
            cover = covers.current_store().save(data)
        except covers.InvalidImage as error:
            raise Problem(422, str(error), {"_body": [str(error)]}) from None
        urls = covers.urls(cover.id)
        return {**urls, "width": cover.width, "height": cover.height}, {"Location": urls["detail"]}
