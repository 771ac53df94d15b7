"""The staff's lists, each on screen (paged, sortable) and as a CSV download: the pull list, the hold shelf, loans
(current, overdue, by member or book, a member's history) and holds (a book's queue)."""

from flask.views import MethodView

from ..authz import STAFF, access
from ..extensions import db
from ..schemas.circulation import HoldQuery, LoanQuery
from ..schemas.common import page_of
from ..schemas.desk import HoldShelfItemOut, HoldShelfQuery, PullItemOut, PullQuery
from ..services import holdshelf, lists
from .base import Blueprint
from .csvfile import csv_doc as documented_csv, csv_response
from .pagination import LINK_HEADER, page_of_rows, page_response

blp = Blueprint("lists", __name__, url_prefix="/api/v1", description="The staff's lists and their CSV downloads")
PullPage, HoldShelfPage = page_of(PullItemOut, "PullPage"), page_of(HoldShelfItemOut, "HoldShelfPage")


def csv_doc(what):
    return documented_csv(what, "for a spreadsheet or a mail merge")


def _date(value):
    return value.date().isoformat() if value else None


@blp.route("/pull-list")
class PullList(MethodView):
    @access(STAFF)
    @blp.doc(operationId="listPullList")
    @blp.arguments(PullQuery, location="query")
    @blp.response(200, PullPage, headers=LINK_HEADER)
    def get(self, args):
        """Copies to fetch from the shelf for waiting holds, oldest hold first (or in shelf order)"""
        query, order = holdshelf.pull_list(args["sort"])
        items, total = page_of_rows(query, args, order)
        return page_response(items, total, args)


@blp.route("/pull-list.csv")
class PullListCsv(MethodView):
    @access(STAFF)
    @blp.doc(operationId="downloadPullList", **csv_doc("The pull list"))
    @blp.arguments(PullQuery, location="query")
    def get(self, args):
        """The pull list as a CSV file"""
        query, order = holdshelf.pull_list(args["sort"])
        rows = ([_date(r.placed_at), r.book_title, r.call_number, r.location, r.barcode, r.member_name, r.card_number]
                for r in db.session.execute(query.order_by(*order)))
        return csv_response("pull-list.csv", ["placed_at", "title", "call_number", "shelf", "barcode", "member",
                                              "card_number"], rows)


@blp.route("/hold-shelf")
class HoldShelf(MethodView):
    @access(STAFF)
    @blp.doc(operationId="listHoldShelf")
    @blp.arguments(HoldShelfQuery, location="query")
    @blp.response(200, HoldShelfPage, headers=LINK_HEADER)
    def get(self, args):
        """Copies on the hold shelf, soonest pickup date first; expired ones are to clear"""
        query, order = holdshelf.hold_shelf(args["sort"], args.get("expired"))
        items, total = page_of_rows(query, args, order)
        return page_response(items, total, args)


@blp.route("/hold-shelf.csv")
class HoldShelfCsv(MethodView):
    @access(STAFF)
    @blp.doc(operationId="downloadHoldShelf", **csv_doc("The hold shelf"))
    @blp.arguments(HoldShelfQuery, location="query")
    def get(self, args):
        """The hold shelf as a CSV file"""
        query, order = holdshelf.hold_shelf(args["sort"], args.get("expired"))
        rows = ([_date(r.pickup_by), r.expired, r.member_name, r.card_number, r.book_title, r.barcode, r.call_number]
                for r in db.session.execute(query.order_by(*order)))
        return csv_response("hold-shelf.csv", ["pickup_by", "expired", "member", "card_number", "title", "barcode",
                                               "call_number"], rows)


@blp.route("/loans.csv")
class LoansCsv(MethodView):
    @access(STAFF)
    @blp.doc(operationId="downloadLoans", **csv_doc("Loans"))
    @blp.arguments(LoanQuery, location="query")
    def get(self, args):
        """Loans with the filters and sort of GET /loans, as a CSV file (current loans, overdue ones, a member's
        history)"""
        return csv_response("loans.csv", lists.LOAN_CSV_HEADER, lists.loan_csv_rows(args))


@blp.route("/holds.csv")
class HoldsCsv(MethodView):
    @access(STAFF)
    @blp.doc(operationId="downloadHolds", **csv_doc("Holds"))
    @blp.arguments(HoldQuery, location="query")
    def get(self, args):
        """Holds with the filters and sort of GET /holds, as a CSV file (e.g. a book's queue)"""
        return csv_response("holds.csv", lists.HOLD_CSV_HEADER, lists.hold_csv_rows(args))
