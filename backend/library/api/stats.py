"""/api/v1/stats: the staff dashboard's numbers, each panel as JSON and as CSV. Counts only: no member is named."""

from flask.views import MethodView

from ..authz import STAFF, access
from ..schemas.common import page_of
from ..schemas.stats import (CirculationOut, CirculationQuery, CollectionOut, CollectionQuery, CurrentOut, TopOut,
                             TopQuery, WeedingItem, WeedingQuery)
from ..services import stats
from .base import Blueprint
from .csvfile import csv_doc, csv_response
from .pagination import LINK_HEADER, page_response

blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats", description="Statistics for the staff dashboard")
WeedingPage = page_of(WeedingItem, "WeedingPage")


def _span(period):
    return f"{period.start.isoformat()}-to-{period.end.isoformat()}"


# --- loans and returns over time --------------------------------------------------------------------

@blp.route("/circulation")
class Circulation(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getCirculationStats")
    @blp.arguments(CirculationQuery, location="query")
    @blp.response(200, CirculationOut)
    def get(self, args):
        """Loans and returns per day, week or month of a period, beside the same period a year earlier"""
        return stats.circulation(args["period"], args["group"])


CIRCULATION_COLUMNS = ["start", "end", "loans", "returns", "previous_start", "previous_end", "previous_loans",
                       "previous_returns"]


@blp.route("/circulation.csv")
class CirculationCsv(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getCirculationStatsCsv", **csv_doc("Loans and returns per bucket"))
    @blp.arguments(CirculationQuery, location="query")
    def get(self, args):
        """Loans and returns over time as a CSV file"""
        result = stats.circulation(args["period"], args["group"])
        return csv_response(f"loans-by-{args['group']}-{_span(args['period'])}.csv", CIRCULATION_COLUMNS,
                            ([item[key] for key in CIRCULATION_COLUMNS] for item in result["items"]))


# --- now ------------------------------------------------------------------------------------------------

@blp.route("/current")
class Current(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getCurrentStats")
    @blp.response(200, CurrentOut)
    def get(self):
        """Right now: members and active members, items on loan and overdue, holds waiting and ready, copies"""
        return stats.current()


@blp.route("/current.csv")
class CurrentCsv(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getCurrentStatsCsv", **csv_doc("Today's figures, one per row"))
    def get(self):
        """Right now, as a CSV file (figure, value)"""
        figures = stats.current()
        return csv_response(f"library-now-{figures['at'].date().isoformat()}.csv", ["figure", "value"],
                            ([key, value.isoformat() if key == "at" else value] for key, value in figures.items()))


# --- the most borrowed ------------------------------------------------------------------------------

@blp.route("/top")
class Top(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getTopBorrowed")
    @blp.arguments(TopQuery, location="query")
    @blp.response(200, TopOut)
    def get(self, args):
        """The most borrowed titles, authors or subjects of a period"""
        period = args["period"]
        return {"from": period.start, "to": period.end, "kind": args["kind"],
                "items": stats.top(args["kind"], period, args["limit"])}


@blp.route("/top.csv")
class TopCsv(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getTopBorrowedCsv", **csv_doc("The most borrowed, ranked"))
    @blp.arguments(TopQuery, location="query")
    def get(self, args):
        """The most borrowed titles, authors or subjects as a CSV file"""
        kind, period = args["kind"], args["period"]
        items = stats.top(kind, period, args["limit"])
        header = ["rank", {"titles": "title", "authors": "author", "subjects": "subject"}[kind]]
        header += ["authors"] if kind == "titles" else []
        rows = ([rank, item["name"], *(["; ".join(item["authors"])] if kind == "titles" else []), item["loans"]]
                for rank, item in enumerate(items, 1))
        return csv_response(f"most-borrowed-{kind}-{_span(period)}.csv", [*header, "loans"], rows)


# --- the collection -----------------------------------------------------------------------------------

@blp.route("/collection")
class Collection(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getCollectionStats")
    @blp.arguments(CollectionQuery, location="query")
    @blp.response(200, CollectionOut)
    def get(self, args):
        """The collection by subject, language or decade: copies, on loan now, lent in the last `months` months"""
        return stats.collection(args["by"], args["months"])


@blp.route("/collection.csv")
class CollectionCsv(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getCollectionStatsCsv", **csv_doc("The collection by group"))
    @blp.arguments(CollectionQuery, location="query")
    def get(self, args):
        """The collection by subject, language or decade as a CSV file"""
        by, months = args["by"], args["months"]
        rows = ([item["group"] or "", item["copies"], item["on_loan"], item["lent"]]
                for item in stats.collection(by, months)["items"])
        return csv_response(f"collection-by-{by}.csv", [by, "copies", "on_loan", f"lent_in_{months}_months"], rows)


# --- weeding candidates -------------------------------------------------------------------------------

def weeding_out(rows):
    for copy, book, loans in rows:
        yield {"copy_id": copy.id, "barcode": copy.barcode, "location": copy.location, "call_number": copy.call_number,
               "book_id": book.id, "title": book.title, "acquired_at": copy.created_at,
               "last_loaned_at": copy.last_loaned_at, "loans": loans}


@blp.route("/weeding")
class Weeding(MethodView):
    @access(STAFF)
    @blp.doc(operationId="listWeedingCandidates")
    @blp.arguments(WeedingQuery, location="query")
    @blp.response(200, WeedingPage, headers=LINK_HEADER)
    def get(self, args):
        """Copies on the shelf and in the library for longer than `months` months, not lent since (weeding
        candidates): never lent first, then the longest idle"""
        rows = stats.weeding(args["months"], (args["page"] - 1) * args["per_page"], args["per_page"])
        return page_response(list(weeding_out(rows)), stats.weeding_count(args["months"]), args)


WEEDING_COLUMNS = ["barcode", "title", "location", "call_number", "acquired_at", "last_loaned_at", "loans"]


@blp.route("/weeding.csv")
class WeedingCsv(MethodView):
    @access(STAFF)
    @blp.doc(operationId="listWeedingCandidatesCsv", **csv_doc("Every weeding candidate"))
    @blp.arguments(WeedingQuery, location="query")
    def get(self, args):
        """Every weeding candidate as a CSV file (a list to take to the shelves)"""
        rows = ([item[key].date().isoformat() if key.endswith("_at") and item[key] else item[key]
                 for key in WEEDING_COLUMNS] for item in weeding_out(stats.weeding(args["months"])))
        return csv_response(f"not-lent-in-{args['months']}-months.csv", WEEDING_COLUMNS, rows)
