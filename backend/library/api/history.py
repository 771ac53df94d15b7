"""A member's reading history (their past loans: theirs only) and whether it is kept; staff may set the latter for
a member at their request. The rules are in services/privacy.py."""

from flask.views import MethodView
from sqlalchemy.orm import selectinload

from ..authz import STAFF, USER, access
from ..models import Book, Copy, Loan
from ..schemas.common import PageQuery, page_of
from ..schemas.history import HistoryItem, PrivacyChangeOut, PrivacyIn, PrivacyOut
from ..services import privacy
from .base import Blueprint
from .circulation import get_member_or_404, my_member
from .pagination import LINK_HEADER, page_of_query, page_response

blp = Blueprint("history", __name__, url_prefix="/api/v1/members", description="Reading history and its privacy")
HistoryPage = page_of(HistoryItem, "HistoryPage")


def history_out(loans):
    return [{"loan_id": loan.id, "book_id": loan.copy.book_id, "title": loan.copy.book.title,
             "authors": [author.name for author in loan.copy.book.authors], "loaned_at": loan.loaned_at,
             "returned_at": loan.returned_at} for loan in loans]


@blp.route("/me/history")
class MyHistory(MethodView):
    @access(USER)
    @blp.doc(operationId="listMyReadingHistory")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, HistoryPage, headers=LINK_HEADER)
    def get(self, args):
        """Your past loans, the latest returned first (nobody else sees them; empty when you keep no history)"""
        query = privacy.history_query(my_member().id).options(
            selectinload(Loan.copy).selectinload(Copy.book).selectinload(Book.author_links))
        items, total = page_of_query(query, args, [Loan.returned_at.desc(), Loan.id.desc()])
        return page_response(history_out(items), total, args)

    @access(USER)
    @blp.doc(operationId="clearMyReadingHistory")
    @blp.response(204)
    def delete(self):
        """Forget your past loans now: they stay counted in the statistics, with nobody's name on them"""
        privacy.clear_history(my_member())


@blp.route("/me/privacy")
class MyPrivacy(MethodView):
    @access(USER)
    @blp.doc(operationId="getMyPrivacy")
    @blp.response(200, PrivacyOut)
    def get(self):
        """Whether your reading history is kept"""
        return my_member()

    @access(USER)
    @blp.doc(operationId="updateMyPrivacy")
    @blp.arguments(PrivacyIn)
    @blp.response(200, PrivacyChangeOut)
    def patch(self, data):
        """Keep your reading history, or not (off anonymises what you have returned, at once)"""
        member = my_member()
        forgotten = privacy.set_keep_history(member, data["keep_history"])
        return {"keep_history": member.keep_history, "forgotten": forgotten}


@blp.route("/<id:member_id>/privacy")
class MemberPrivacy(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getMemberPrivacy")
    @blp.response(200, PrivacyOut)
    def get(self, member_id):
        """Whether a member's reading history is kept (for a card without a login, set at the member's request)"""
        return get_member_or_404(member_id)

    @access(STAFF)
    @blp.doc(operationId="updateMemberPrivacy")
    @blp.arguments(PrivacyIn)
    @blp.response(200, PrivacyChangeOut)
    def patch(self, data, member_id):
        """Keep a member's reading history or not, at their request (audited; off anonymises their past loans)"""
        member = get_member_or_404(member_id)
        forgotten = privacy.set_keep_history(member, data["keep_history"])
        return {"keep_history": member.keep_history, "forgotten": forgotten}
