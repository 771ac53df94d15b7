"""Circulation: copies, members, loans and returns at the desk, holds, reports, the due-date calendar."""

from flask import current_app, g, request, url_for
from flask.views import MethodView
from sqlalchemy import func, or_, select

from ..authz import PUBLIC, STAFF, USER, access
from ..errors import PROBLEM_JSON, Conflict, Problem, ProblemSchema
from ..extensions import db
from ..models import Book, Copy, Hold, Loan, Member, User
from ..schemas.circulation import (
    CalendarOut, CheckoutIn, CopyIn, CopyOut, CopyPatch, CopyQuery, HoldIn, HoldOut, HoldQuery, LoanOut, LoanQuery,
    MemberIn, MemberOut, MemberPatch, MemberQuery, ReturnIn, ReturnOut, RulesOut,
)
from ..schemas.common import PageQuery, page_of
from ..services import circulation, settings
from ..services.catalog import like_pattern
from .. import clock
from .base import Blueprint
from .csvfile import csv_response
from .pagination import LINK_HEADER, page_of_query, page_response

blp = Blueprint("circulation", __name__, url_prefix="/api/v1", description="Copies, members, loans and holds")
CopyPage, MemberPage = page_of(CopyOut, "CopyPage"), page_of(MemberOut, "MemberPage")
LoanPage, HoldPage = page_of(LoanOut, "LoanPage"), page_of(HoldOut, "HoldPage")
CONFLICT = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}


def rules():
    return settings.rules()


def is_staff():
    return g.principal.role in ("admin", "librarian")


def my_member(required=True) -> Member | None:
    member = db.session.scalar(select(Member).where(Member.user_id == g.principal.user.id))
    if member is None and required:
        raise Problem(404, "Your account has no library card; ask at the desk.")
    return member


# --- presenters: one query per page for the related rows ---------------------------------------------

def copies_out(copies):
    due = dict(db.session.execute(select(Loan.copy_id, Loan.due_at).where(
        Loan.copy_id.in_([c.id for c in copies]), Loan.returned_at.is_(None))).all()) if copies else {}
    return [{**{k: getattr(c, k) for k in ("id", "book_id", "barcode", "location", "call_number", "notes", "status",
                                           "created_at", "updated_at")}, "due_at": due.get(c.id)} for c in copies]


def visible_member(member, is_open):
    """The member of a loan or hold as the caller may see them: anyone allowed to see an open one sees its member;
    a closed one names its member only to that member (reading history is private; services/privacy.py)."""
    if member is None or is_open:
        return member
    user = g.principal.user
    return member if user is not None and member.user_id == user.id else None


def loans_out(loans, returned=False):
    """returned: the answer to a check-in, which names the member the copy came back from."""
    now = clock.now()
    max_renewals = rules().max_renewals
    out = []
    for loan in loans:
        member = loan.returned_from if returned else visible_member(loan.member, loan.returned_at is None)
        out.append({
            "id": loan.id, "copy_id": loan.copy_id, "barcode": loan.copy.barcode, "book_id": loan.copy.book_id,
            "book_title": loan.copy.book.title, "member_id": member.id if member else None,
            "member_name": member.name if member else None, "card_number": member.card_number if member else None,
            "loaned_at": loan.loaned_at, "due_at": loan.due_at, "returned_at": loan.returned_at,
            "renewals": loan.renewals, "max_renewals": max_renewals,
            "overdue": loan.returned_at is None and loan.due_at < now,
        })
    return out


def holds_out(holds):
    positions = circulation.queue_positions(holds)
    out = []
    for h in holds:
        member = visible_member(h.member, h.status in ("waiting", "ready"))
        out.append({
            "id": h.id, "book_id": h.book_id, "book_title": h.book.title, "member_id": member.id if member else None,
            "member_name": member.name if member else None, "placed_at": h.placed_at, "status": h.status,
            "position": positions.get(h.id), "copy_id": h.copy_id, "copy_barcode": h.copy.barcode if h.copy else None,
            "pickup_by": h.pickup_by,
        })
    return out


def members_out(members):
    counts = dict(db.session.execute(
        select(Loan.member_id, func.count()).where(Loan.member_id.in_([m.id for m in members]),
                                                   Loan.returned_at.is_(None)).group_by(Loan.member_id)
    ).all()) if members else {}
    return [{**{k: getattr(m, k) for k in ("id", "card_number", "name", "email", "phone", "status", "user_id",
                                           "created_at", "updated_at")}, "active_loans": counts.get(m.id, 0)}
            for m in members]


def return_out(loan, hold):
    db.session.refresh(loan)
    return {"loan": loans_out([loan], returned=True)[0], "hold": holds_out([hold])[0] if hold else None}


# --- copies ---------------------------------------------------------------------------------------

def get_copy_or_404(copy_id):
    return db.get_or_404(Copy, copy_id, description=f"No copy with id {copy_id}.")


def _barcode_taken(barcode, copy_id=None):
    other = db.session.scalar(select(Copy.id).where(Copy.barcode == barcode))
    if other is not None and other != copy_id:
        raise Conflict(f"Barcode {barcode} is already used (copy {other}).", {"barcode": ["This barcode is in use."]})


@blp.route("/books/<id:book_id>/copies")
class BookCopies(MethodView):
    @access(PUBLIC)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, CopyPage, headers=LINK_HEADER)
    def get(self, args, book_id):
        """A book's copies: status, location and due date (never who has them)"""
        db.get_or_404(Book, book_id, description=f"No book with id {book_id}.")
        items, total = page_of_query(select(Copy).where(Copy.book_id == book_id), args, [Copy.id])
        return page_response(copies_out(items), total, args)

    @access(STAFF)
    @blp.arguments(CopyIn)
    @blp.response(201, CopyOut)
    @blp.alt_response(409, description="The barcode is in use", **CONFLICT)
    def post(self, data, book_id):
        """Add a copy of a book; it goes to the first waiting hold, or on the shelf"""
        db.get_or_404(Book, book_id, description=f"No book with id {book_id}.")
        _barcode_taken(data["barcode"])
        copy = Copy(book_id=book_id, status="available", **data)
        db.session.add(copy)
        db.session.flush()
        circulation.shelve_new(copy, rules())
        try:
            db.session.commit()
        except circulation.IntegrityError:
            db.session.rollback()
            raise Conflict(f"Barcode {data['barcode']} is already used.", {"barcode": ["This barcode is in use."]}) from None
        return copies_out([copy])[0], {"Location": url_for("circulation.CopyItem", copy_id=copy.id)}


@blp.route("/copies")
class CopyList(MethodView):
    @access(PUBLIC)
    @blp.arguments(CopyQuery, location="query")
    @blp.response(200, CopyPage, headers=LINK_HEADER)
    def get(self, args):
        """Find copies by barcode or status"""
        query = select(Copy)
        if args.get("barcode"):
            query = query.where(Copy.barcode == args["barcode"])
        if args.get("status"):
            query = query.where(Copy.status == args["status"])
        items, total = page_of_query(query, args, [Copy.id])
        return page_response(copies_out(items), total, args)


@blp.route("/copies/<id:copy_id>")
class CopyItem(MethodView):
    @access(PUBLIC)
    @blp.response(200, CopyOut)
    def get(self, copy_id):
        """One copy"""
        return copies_out([get_copy_or_404(copy_id)])[0]

    @access(STAFF)
    @blp.arguments(CopyPatch)
    @blp.response(200, CopyOut)
    @blp.alt_response(409, description="The copy is on loan or on the hold shelf", **CONFLICT)
    def patch(self, data, copy_id):
        """Change a copy's location, call number, notes, or mark it available, lost or withdrawn"""
        copy = get_copy_or_404(copy_id)
        return copies_out([circulation.retrying(circulation.update_copy, copy, data, rules())])[0]

    @access(STAFF)
    @blp.response(204)
    @blp.alt_response(409, description="The copy has loan or hold history; withdraw it instead", **CONFLICT)
    def delete(self, copy_id):
        """Delete a copy that was never lent nor held (otherwise withdraw it)"""
        circulation.delete_copy(get_copy_or_404(copy_id))


# --- members --------------------------------------------------------------------------------------

def get_member_or_404(member_id):
    return db.get_or_404(Member, member_id, description=f"No member with id {member_id}.")


def _member_conflicts(data, member_id=None):
    if "user_email" in data:
        user_id = db.session.scalar(select(User.id).where(User.email == data.pop("user_email")))
        if user_id is None:
            raise circulation.invalid("user_email", "No user account has this email.")
        data["user_id"] = user_id
    if "card_number" in data:
        other = db.session.scalar(select(Member.id).where(Member.card_number == data["card_number"]))
        if other is not None and other != member_id:
            raise Conflict(f"Card {data['card_number']} belongs to member {other}.",
                           {"card_number": ["This card number is in use."]})
    if data.get("user_id") is not None:
        if db.session.get(User, data["user_id"]) is None:
            raise circulation.invalid("user_id", f"No user with id {data['user_id']}.")
        other = db.session.scalar(select(Member.id).where(Member.user_id == data["user_id"]))
        if other is not None and other != member_id:
            raise Conflict(f"That user already has a card (member {other}).", {"user_id": ["Already linked."]})


def _save_member(member, data):
    _member_conflicts(data, member.id)
    for key, value in data.items():
        setattr(member, key, value)
    db.session.add(member)
    try:
        db.session.commit()
    except circulation.IntegrityError:
        db.session.rollback()
        raise Conflict("The card number or the user is already in use.") from None
    return members_out([member])[0]


@blp.route("/members")
class MemberList(MethodView):
    @access(STAFF)
    @blp.arguments(MemberQuery, location="query")
    @blp.response(200, MemberPage, headers=LINK_HEADER)
    def get(self, args):
        """Find members by name or card"""
        query = select(Member)
        if term := args.get("q"):
            like = like_pattern(term)
            query = query.where(or_(func.lower(Member.name).like(like, escape="\\"),
                                    func.lower(Member.card_number).like(like, escape="\\")))
        if args.get("card_number"):
            query = query.where(Member.card_number == args["card_number"])
        if args.get("status"):
            query = query.where(Member.status == args["status"])
        items, total = page_of_query(query, args, [func.lower(Member.name), Member.id])
        return page_response(members_out(items), total, args)

    @access(STAFF)
    @blp.arguments(MemberIn)
    @blp.response(201, MemberOut)
    @blp.alt_response(409, description="The card number or the user is already in use", **CONFLICT)
    def post(self, data):
        """Register a member (a library card), optionally linked to a user account"""
        out = _save_member(Member(status="active"), data)
        return out, {"Location": url_for("circulation.MemberItem", member_id=out["id"])}


@blp.route("/members/<id:member_id>")
class MemberItem(MethodView):
    @access(STAFF)
    @blp.response(200, MemberOut)
    def get(self, member_id):
        """One member"""
        return members_out([get_member_or_404(member_id)])[0]

    @access(STAFF)
    @blp.arguments(MemberPatch)
    @blp.response(200, MemberOut)
    @blp.alt_response(409, description="The user is already linked to another card", **CONFLICT)
    def patch(self, data, member_id):
        """Change a member's details or status (suspended members cannot borrow)"""
        return _save_member(get_member_or_404(member_id), data)


@blp.route("/members/me")
class MyMember(MethodView):
    @access(USER)
    @blp.response(200, MemberOut)
    def get(self):
        """Your own library card (404 when your account has none)"""
        return members_out([my_member()])[0]


@blp.route("/members/me/calendar")
class MyCalendar(MethodView):
    @access(USER)
    @blp.response(200, CalendarOut)
    def get(self):
        """The private URL of your due-date calendar, for a calendar app"""
        member = my_member()
        return {"url": calendar_url(member, circulation.calendar_token(member, current_app.config["SECRET_KEY"]))}

    @access(USER)
    @blp.response(200, CalendarOut)
    def post(self):
        """Make a new calendar URL; the old one stops working"""
        member = my_member()
        token = circulation.reset_calendar_token(member, current_app.config["SECRET_KEY"])
        return {"url": calendar_url(member, token)}


def calendar_url(member, token):
    return url_for("circulation.Calendar", member_id=member.id, token=token, _external=True)


@blp.route("/calendar/<id:member_id>/<string(length=43):token>.ics")
class Calendar(MethodView):
    @access(PUBLIC)
    @blp.doc(responses={"200": {"description": "iCalendar (RFC 5545) of the member's due dates",
                                "content": {"text/calendar": {"schema": {"type": "string"}}}}})
    def get(self, member_id, token):
        """A member's due dates as an iCalendar feed, at a private URL"""
        member = circulation.member_by_calendar_token(member_id, token, current_app.config["SECRET_KEY"])
        if member is None:
            raise Problem(404, "No calendar at this address.")
        loans = db.session.scalars(select(Loan).where(Loan.member_id == member.id, Loan.returned_at.is_(None))
                                   .order_by(Loan.due_at)).all()
        body = circulation.icalendar(member, loans, request.host)
        return current_app.response_class(body, mimetype="text/calendar",
                                          headers={"Cache-Control": "private, no-store"})


# --- loans ----------------------------------------------------------------------------------------

def get_loan_or_404(loan_id):
    loan = db.session.get(Loan, loan_id)
    if loan is None or (not is_staff() and (loan.member is None or loan.member.user_id != g.principal.user.id)):
        raise Problem(404, f"No loan with id {loan_id}.")
    return loan


@blp.route("/loans")
class LoanList(MethodView):
    @access(USER)
    @blp.arguments(LoanQuery, location="query")
    @blp.response(200, LoanPage, headers=LINK_HEADER)
    def get(self, args):
        """Loans, filtered; members see only their own whatever the filters; staff see a member's current loans
        only (past ones are the member's private reading history)"""
        query = select(Loan)
        if not is_staff():  # a member's own loans, whatever member_id says
            member = my_member(required=False)
            args["member_id"] = member.id if member else -1
        elif args.get("member_id"):
            query = query.where(Loan.returned_at.is_(None))
        if args.get("active") is not None:
            query = query.where(Loan.returned_at.is_(None) if args["active"] else Loan.returned_at.is_not(None))
        if args.get("overdue"):
            query = query.where(Loan.returned_at.is_(None), Loan.due_at < clock.now())
        for key, column in (("member_id", Loan.member_id), ("copy_id", Loan.copy_id)):
            if args.get(key):
                query = query.where(column == args[key])
        if args.get("book_id"):
            query = query.where(Loan.copy_id.in_(select(Copy.id).where(Copy.book_id == args["book_id"])))
        items, total = page_of_query(query, args, [Loan.returned_at.is_not(None), Loan.due_at, Loan.id])
        return page_response(loans_out(items), total, args)

    @access(STAFF)
    @blp.arguments(CheckoutIn)
    @blp.response(201, LoanOut)
    @blp.alt_response(409, description="The copy is not available to this member, the card is suspended, or "
                                       "the member's loan limit is reached", **CONFLICT)
    def post(self, data):
        """Check a copy out to a member (by card number or member id); the response has the due date"""
        loan = circulation.retrying(circulation.checkout, data["barcode"], data.get("card_number"),
                                    data.get("member_id"), rules())
        return loans_out([loan])[0], {"Location": url_for("circulation.LoanItem", loan_id=loan.id)}


@blp.route("/loans/<id:loan_id>")
class LoanItem(MethodView):
    @access(USER)
    @blp.response(200, LoanOut)
    def get(self, loan_id):
        """One loan (members: their own)"""
        return loans_out([get_loan_or_404(loan_id)])[0]


@blp.route("/loans/<id:loan_id>/return")
class LoanReturn(MethodView):
    @access(STAFF)
    @blp.response(200, ReturnOut)
    @blp.alt_response(409, description="Already returned", **CONFLICT)
    def post(self, loan_id):
        """Check a loan in; a waiting hold captures the copy (hold shelf)"""
        loan = get_loan_or_404(loan_id)
        return return_out(*circulation.retrying(circulation.return_loan, loan, rules()))


@blp.route("/loans/<id:loan_id>/renew")
class LoanRenew(MethodView):
    @access(USER)
    @blp.response(200, LoanOut)
    @blp.alt_response(409, description="A hold is waiting, or the renewal limit is reached", **CONFLICT)
    def post(self, loan_id):
        """Renew a loan (members: their own)"""
        loan = get_loan_or_404(loan_id)
        return loans_out([circulation.retrying(circulation.renew, loan, rules())])[0]


@blp.route("/returns")
class Returns(MethodView):
    @access(STAFF)
    @blp.arguments(ReturnIn)
    @blp.response(200, ReturnOut)
    @blp.alt_response(409, description="The copy is not on loan", **CONFLICT)
    def post(self, data):
        """Check a copy in by its barcode (the desk)"""
        return return_out(*circulation.retrying(circulation.return_by_barcode, data["barcode"], rules()))


# --- holds ----------------------------------------------------------------------------------------

def get_hold_or_404(hold_id):
    hold = db.session.get(Hold, hold_id)
    if hold is None or (not is_staff() and (hold.member is None or hold.member.user_id != g.principal.user.id)):
        raise Problem(404, f"No hold with id {hold_id}.")
    return hold


@blp.route("/holds")
class HoldList(MethodView):
    @access(USER)
    @blp.arguments(HoldQuery, location="query")
    @blp.response(200, HoldPage, headers=LINK_HEADER)
    def get(self, args):
        """Holds, filtered; members see only their own; staff see a member's open holds only"""
        query = select(Hold)
        if not is_staff():  # a member's own holds, whatever member_id says
            member = my_member(required=False)
            args["member_id"] = member.id if member else -1
        elif args.get("member_id"):
            query = query.where(Hold.status.in_(("waiting", "ready")))
        for key, column in (("status", Hold.status), ("book_id", Hold.book_id), ("member_id", Hold.member_id)):
            if args.get(key):
                query = query.where(column == args[key])
        items, total = page_of_query(query, args, [Hold.placed_at, Hold.id])
        return page_response(holds_out(items), total, args)

    @access(USER)
    @blp.arguments(HoldIn)
    @blp.response(201, HoldOut)
    @blp.alt_response(409, description="Already on hold for this member, or the holds limit is reached", **CONFLICT)
    def post(self, data):
        """Place a hold on a book: members for themselves, staff for a member (card_number or member_id)"""
        if "card_number" in data or "member_id" in data:
            if not is_staff():
                raise Problem(403, "Only staff place holds for other members.")
            member = circulation.find_member(data.get("card_number"), data.get("member_id"))
        else:
            member = my_member()
        hold = circulation.retrying(circulation.place_hold, data["book_id"], member, rules())
        return holds_out([hold])[0], {"Location": url_for("circulation.HoldItem", hold_id=hold.id)}


@blp.route("/holds/<id:hold_id>")
class HoldItem(MethodView):
    @access(USER)
    @blp.response(200, HoldOut)
    def get(self, hold_id):
        """One hold (members: their own)"""
        return holds_out([get_hold_or_404(hold_id)])[0]

    @access(USER)
    @blp.response(204)
    @blp.alt_response(409, description="The hold is already closed", **CONFLICT)
    def delete(self, hold_id):
        """Cancel a hold; a copy it held passes to the next in line"""
        circulation.retrying(circulation.cancel_hold, get_hold_or_404(hold_id), rules())


# --- reports and rules ----------------------------------------------------------------------------

def _overdue_query():
    return select(Loan).where(Loan.returned_at.is_(None), Loan.due_at < clock.now())


@blp.route("/reports/overdue")
class Overdue(MethodView):
    @access(STAFF)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, LoanPage, headers=LINK_HEADER)
    def get(self, args):
        """Overdue loans, longest overdue first"""
        items, total = page_of_query(_overdue_query(), args, [Loan.due_at, Loan.id])
        return page_response(loans_out(items), total, args)


@blp.route("/reports/overdue.csv")
class OverdueCsv(MethodView):
    @access(STAFF)
    @blp.doc(responses={"200": {"description": "The overdue report as CSV",
                                "content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self):
        """Overdue loans as a CSV file (for a spreadsheet or a mail merge)"""
        now = clock.now()
        rows = [[loan.due_at.date().isoformat(), (now - loan.due_at).days, loan.copy.book.title, loan.copy.barcode,
                 loan.member.name, loan.member.card_number, loan.member.email, loan.member.phone]
                for loan in db.session.scalars(_overdue_query().order_by(Loan.due_at, Loan.id))]
        return csv_response("overdue.csv", ["due_at", "days_overdue", "title", "barcode", "member", "card_number",
                                            "email", "phone"], rows)


@blp.route("/loan-rules")
class LoanRules(MethodView):
    @access(PUBLIC)
    @blp.response(200, RulesOut)
    def get(self):
        """The library's loan rules (set by the operator)"""
        return rules().__dict__
