"""The desk's actions beside checkout and return: capture a pulled copy, clear an expired hold, find a member by
card or name, reserve the next automatic barcode or card number."""

from flask.views import MethodView

from ..authz import STAFF, access
from ..errors import PROBLEM_JSON, Problem, ProblemSchema
from ..extensions import db
from ..models import Hold
from ..schemas.desk import BarcodeIn, BarcodeOut, CaptureIn, ClearOut, MemberLookupQuery
from ..schemas.circulation import HoldOut
from ..services import barcodes, circulation, holdshelf, lists, settings
from .base import Blueprint
from .circulation import MemberPage, copies_out, holds_out, members_out
from .pagination import LINK_HEADER, page_of_query, page_response

blp = Blueprint("desk", __name__, url_prefix="/api/v1", description="The desk: holds, member lookup, barcodes")
CONFLICT = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}


@blp.route("/holds/capture")
class Capture(MethodView):
    @access(STAFF)
    @blp.doc(operationId="captureHold")
    @blp.arguments(CaptureIn)
    @blp.response(200, HoldOut)
    @blp.alt_response(409, description="The copy is not on the shelf, or nobody waits for its book", **CONFLICT)
    def post(self, data):
        """Put a copy pulled from the shelf on the hold shelf for the first in its book's queue (the desk's return
        mode does the same for such a copy)"""
        _copy, hold = circulation.retrying(holdshelf.capture, data["barcode"], settings.rules())
        return holds_out([hold])[0]


@blp.route("/holds/<id:hold_id>/clear")
class Clear(MethodView):
    @access(STAFF)
    @blp.doc(operationId="clearHold")
    @blp.response(200, ClearOut)
    @blp.alt_response(409, description="The hold is not on the hold shelf, or its pickup date has not passed",
                      **CONFLICT)
    def post(self, hold_id):
        """Clear a hold not picked up in time: it expires, and its copy goes to the next in line (the answer says
        who) or back to the shelf"""
        hold = db.session.get(Hold, hold_id)
        if hold is None:
            raise Problem(404, f"No hold with id {hold_id}.")
        cleared, copy, next_hold = circulation.retrying(holdshelf.clear, hold, settings.rules())
        return {"cleared": holds_out([cleared], cleared=True)[0],
                "hold": holds_out([next_hold])[0] if next_hold else None, "copy": copies_out([copy])[0]}


@blp.route("/members/lookup")
class MemberLookup(MethodView):
    @access(STAFF)
    @blp.doc(operationId="lookupMembers")
    @blp.arguments(MemberLookupQuery, location="query")
    @blp.response(200, MemberPage, headers=LINK_HEADER)
    def get(self, args):
        """Find a member at the desk: a card number in any case, or words of their name; best match first"""
        query, order = lists.member_lookup(args["q"])
        items, total = page_of_query(query, args, order)
        return page_response(members_out(items), total, args)


@blp.route("/barcodes/next")
class NextBarcode(MethodView):
    @access(STAFF)
    @blp.doc(operationId="reserveBarcode")
    @blp.arguments(BarcodeIn)
    @blp.response(200, BarcodeOut)
    @blp.alt_response(409, description="No free code near the counter with this prefix", **CONFLICT)
    def post(self, data):
        """Reserve the next automatic copy barcode or card number (the settings' prefix and a counter): no one
        else gets it, also when many ask at once"""
        return {"kind": data["kind"], "barcode": barcodes.allocate_and_commit(data["kind"])}
