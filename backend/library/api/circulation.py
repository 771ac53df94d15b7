"""Circulation: copies, members, loans and returns at the desk, holds, reports, the due-date calendar."""

from datetime import datetime, time, timedelta, timezone
from urllib.parse import urlsplit

from flask import current_app, g, url_for
from flask.views import MethodView
from sqlalchemy import func, or_, select

from ..authz import PUBLIC, STAFF, USER, access
from ..errors import PROBLEM_JSON, Conflict, Problem, ProblemSchema
from ..extensions import db
from ..models import Book, Copy, Hold, Loan, Member, User
from ..schemas.circulation import (
    CalendarOut, CheckoutIn, CopyIn, CopyOut, CopyPatch, CopyQuery, HoldIn, HoldOut, HoldQuery, LoanOut, LoanQuery,
    MemberCreatedOut, MemberIn, MemberOut, MemberPatch, MemberQuery, ReturnIn, ReturnOut, RulesOut,
)
from ..schemas.common import PageQuery, page_of
from ..services import barcodes, circulation, holdshelf, lists, memberships, notices, settings
from ..services.catalog import like_pattern
from .. import clock
from .base import Blueprint, public_url
from .csvfile import csv_response
from .passwords import password_link_out
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
    ids = [c.id for c in copies]
    due = dict(db.session.execute(select(Loan.copy_id, Loan.due_at).where(
        Loan.copy_id.in_(ids), Loan.returned_at.is_(None))).all()) if copies else {}
    titles = dict(db.session.execute(select(Book.id, Book.title).where(
        Book.id.in_({c.book_id for c in copies}))).all()) if copies else {}
    used = circulation.copy_history(ids)
    return [{**{k: getattr(c, k) for k in ("id", "book_id", "barcode", "location", "call_number", "notes", "status",
                                           "created_at", "updated_at")},
             "book_title": titles.get(c.book_id), "due_at": due.get(c.id), "deletable": c.id not in used}
            for c in copies]


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
    loan_rules = rules()
    waiting = circulation.waiting_holds(loan.copy.book_id for loan in loans)
    out = []
    for loan in loans:
        member = loan.returned_from if returned else visible_member(loan.member, loan.returned_at is None)
        renewal_due, refusal = circulation.renewal(loan, loan_rules, waiting.get(loan.copy.book_id, 0), now)
        out.append({
            "id": loan.id, "copy_id": loan.copy_id, "barcode": loan.copy.barcode, "book_id": loan.copy.book_id,
            "book_title": loan.copy.book.title, "member_id": member.id if member else None,
            "member_name": member.name if member else None, "card_number": member.card_number if member else None,
            "loaned_at": loan.loaned_at, "due_at": loan.due_at, "returned_at": loan.returned_at,
            "renewals": loan.renewals, "max_renewals": loan_rules.max_renewals,
            "overdue": loan.returned_at is None and loan.due_at < now,
            "renewable": refusal is None, "renewal_due_at": renewal_due, "renewal_refusal": refusal,
        })
    return out


def holds_out(holds, cleared=False):
    """cleared: the answer to clearing an expired hold, which names whose hold it was (that moment's business)."""
    positions = circulation.queue_positions(holds)
    out = []
    members = [h.member if cleared else visible_member(h.member, h.status in ("waiting", "ready")) for h in holds]
    reachable = notices.reachable(m.id for m in members if m is not None)
    for h, member in zip(holds, members):
        out.append({
            "id": h.id, "book_id": h.book_id, "book_title": h.book.title, "member_id": member.id if member else None,
            "member_name": member.name if member else None, "placed_at": h.placed_at, "status": h.status,
            "position": positions.get(h.id), "copy_id": h.copy_id, "copy_barcode": h.copy.barcode if h.copy else None,
            "pickup_by": h.pickup_by, "member_has_email": reachable.get(member.id, False) if member else False,
        })
    return out


def members_out(members):
    counts = dict(db.session.execute(
        select(Loan.member_id, func.count()).where(Loan.member_id.in_([m.id for m in members]),
                                                   Loan.returned_at.is_(None)).group_by(Loan.member_id)
    ).all()) if members else {}
    user_ids = [m.user_id for m in members if m.user_id]
    logins = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(user_ids))).all()) if user_ids else {}
    return [{**{k: getattr(m, k) for k in ("id", "card_number", "name", "email", "phone", "status", "user_id",
                                           "language", "created_at", "updated_at")},
             "user_email": logins.get(m.user_id), "active_loans": counts.get(m.id, 0)}
            for m in members]


def return_out(loan, hold, action="returned", cleared=None):
    if loan is not None:
        db.session.refresh(loan)
    return {"action": action, "loan": loans_out([loan], returned=True)[0] if loan else None,
            "hold": holds_out([hold])[0] if hold else None, "cleared": holds_out([cleared], cleared=True)[0] if cleared else None}


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
    @blp.doc(operationId="listBookCopies")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, CopyPage, headers=LINK_HEADER)
    def get(self, args, book_id):
        """A book's copies: status, location and due date (never who has them)"""
        db.get_or_404(Book, book_id, description=f"No book with id {book_id}.")
        items, total = page_of_query(select(Copy).where(Copy.book_id == book_id), args, [Copy.id])
        return page_response(copies_out(items), total, args)

    @access(STAFF)
    @blp.doc(operationId="createCopy")
    @blp.arguments(CopyIn)
    @blp.response(201, CopyOut)
    @blp.alt_response(409, description="The barcode is in use", **CONFLICT)
    def post(self, data, book_id):
        """Add a copy of a book, with the next automatic barcode unless one is given; it goes on the shelf (and
        on the pull list if someone waits for the book)"""
        book = db.get_or_404(Book, book_id, description=f"No book with id {book_id}.")
        if book.archived_at is not None:
            raise Conflict("The book is archived; restore it before adding copies.")
        if "barcode" in data:
            _barcode_taken(data["barcode"])
        else:
            data["barcode"] = barcodes.allocate("copy")
        copy = Copy(book_id=book_id, status="available", **data)
        db.session.add(copy)
        try:
            db.session.commit()
        except circulation.IntegrityError:
            db.session.rollback()
            raise Conflict(f"Barcode {data['barcode']} is already used.", {"barcode": ["This barcode is in use."]}) from None
        return copies_out([copy])[0], {"Location": url_for("circulation.CopyItem", copy_id=copy.id)}


@blp.route("/copies")
class CopyList(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="listCopies")
    @blp.arguments(CopyQuery, location="query")
    @blp.response(200, CopyPage, headers=LINK_HEADER)
    def get(self, args):
        """Find copies by barcode, status, book or the day they were added"""
        query = select(Copy)
        for key, column in (("barcode", Copy.barcode), ("status", Copy.status), ("book_id", Copy.book_id)):
            if args.get(key):
                query = query.where(column == args[key])
        if args.get("added_on"):
            start = datetime.combine(args["added_on"], time.min, tzinfo=timezone.utc)
            query = query.where(Copy.created_at >= start, Copy.created_at < start + timedelta(days=1))
        items, total = page_of_query(query, args, [Copy.id])
        return page_response(copies_out(items), total, args)


@blp.route("/copies/<id:copy_id>")
class CopyItem(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="getCopy")
    @blp.response(200, CopyOut)
    def get(self, copy_id):
        """One copy"""
        return copies_out([get_copy_or_404(copy_id)])[0]

    @access(STAFF)
    @blp.doc(operationId="updateCopy")
    @blp.arguments(CopyPatch)
    @blp.response(200, CopyOut)
    @blp.alt_response(409, description="The copy is on loan or on the hold shelf", **CONFLICT)
    def patch(self, data, copy_id):
        """Change a copy's location, call number, notes, or mark it available, lost or withdrawn"""
        copy = get_copy_or_404(copy_id)
        return copies_out([circulation.retrying(circulation.update_copy, copy, data)])[0]

    @access(STAFF)
    @blp.doc(operationId="deleteCopy")
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
    @blp.doc(operationId="listMembers")
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
    @blp.doc(operationId="createMember")
    @blp.arguments(MemberIn)
    @blp.response(201, MemberCreatedOut)
    @blp.alt_response(409, description="The card number, the user or the new login's email is already in use",
                      **CONFLICT)
    def post(self, data):
        """Register a member (a library card, the next automatic card number unless one is given), optionally
        linked to a user account or with a new login (the answer then has the link for the member to set their
        password, unless a temporary one was given)"""
        if "card_number" not in data:
            data["card_number"] = barcodes.allocate("card")
        login, link, raw = data.pop("login", None), None, None
        if login is not None:
            user, link, raw = memberships.new_login(login["email"], data["name"], login.get("temporary_password"),
                                                    current_app.config["LIBRARY_ARGON2"])
            data["user_id"] = user.id
        out = _save_member(Member(status="active"), data)
        out["password_link"] = password_link_out(link, raw) if link else None
        return out, {"Location": url_for("circulation.MemberItem", member_id=out["id"])}


@blp.route("/members/<id:member_id>")
class MemberItem(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getMember")
    @blp.response(200, MemberOut)
    def get(self, member_id):
        """One member"""
        return members_out([get_member_or_404(member_id)])[0]

    @access(STAFF)
    @blp.doc(operationId="updateMember")
    @blp.arguments(MemberPatch)
    @blp.response(200, MemberOut)
    @blp.alt_response(409, description="The user is already linked to another card", **CONFLICT)
    def patch(self, data, member_id):
        """Change a member's details or status (suspended members cannot borrow)"""
        member = get_member_or_404(member_id)
        if member.status == "pending" and "status" in data:
            raise Conflict(f"{member.name}'s card is waiting for approval: approve it with a card number.")
        return _save_member(member, data)


@blp.route("/members/me")
class MyMember(MethodView):
    @access(USER)
    @blp.doc(operationId="getMyMember")
    @blp.response(200, MemberOut)
    def get(self):
        """Your own library card (404 when your account has none)"""
        return members_out([my_member()])[0]


@blp.route("/members/me/calendar")
class MyCalendar(MethodView):
    @access(USER)
    @blp.doc(operationId="getMyCalendarUrl")
    @blp.response(200, CalendarOut)
    def get(self):
        """The private URL of your due-date calendar, for a calendar app"""
        member = my_member()
        return {"url": calendar_url(member, circulation.calendar_token(member, current_app.config["SECRET_KEY"]))}

    @access(USER)
    @blp.doc(operationId="resetMyCalendarUrl")
    @blp.response(200, CalendarOut)
    def post(self):
        """Make a new calendar URL; the old one stops working"""
        member = my_member()
        token = circulation.reset_calendar_token(member, current_app.config["SECRET_KEY"])
        return {"url": calendar_url(member, token)}


def calendar_url(member, token):
    return public_url(url_for("circulation.Calendar", member_id=member.id, token=token))


@blp.route("/calendar/<id:member_id>/<string(length=43):token>.ics")
class Calendar(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="getCalendarFeed")
    @blp.doc(responses={"200": {"description": "iCalendar (RFC 5545) of the member's due dates",
                                "content": {"text/calendar": {"schema": {"type": "string"}}}}})
    def get(self, member_id, token):
        """A member's due dates as an iCalendar feed, at a private URL"""
        member = circulation.member_by_calendar_token(member_id, token, current_app.config["SECRET_KEY"])
        if member is None:
            raise Problem(404, "No calendar at this address.")
        loans = db.session.scalars(select(Loan).where(Loan.member_id == member.id, Loan.returned_at.is_(None))
                                   .order_by(Loan.due_at)).all()
        body = circulation.icalendar(member, loans, urlsplit(current_app.config["LIBRARY_PUBLIC_URL"]).netloc)
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
    @blp.doc(operationId="listLoans")
    @blp.arguments(LoanQuery, location="query")
    @blp.response(200, LoanPage, headers=LINK_HEADER)
    def get(self, args):
        """Loans, filtered and sorted; members see only their own whatever the filters; staff see a member's
        current loans only (past ones are the member's private reading history)"""
        own = not is_staff()
        if own:  # a member's own loans, whatever member_id says
            member = my_member(required=False)
            args["member_id"] = member.id if member else -1
        query, order = lists.loans(args, own=own)
        items, total = page_of_query(query, args, order)
        return page_response(loans_out(items), total, args)

    @access(STAFF)
    @blp.doc(operationId="createLoan")
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
    @blp.doc(operationId="getLoan")
    @blp.response(200, LoanOut)
    def get(self, loan_id):
        """One loan (members: their own)"""
        return loans_out([get_loan_or_404(loan_id)])[0]


@blp.route("/loans/<id:loan_id>/return")
class LoanReturn(MethodView):
    @access(STAFF)
    @blp.doc(operationId="returnLoan")
    @blp.response(200, ReturnOut)
    @blp.alt_response(409, description="Already returned", **CONFLICT)
    def post(self, loan_id):
        """Check a loan in; a waiting hold captures the copy (hold shelf)"""
        loan = get_loan_or_404(loan_id)
        return return_out(*circulation.retrying(circulation.return_loan, loan, rules()))


@blp.route("/loans/<id:loan_id>/renew")
class LoanRenew(MethodView):
    @access(USER)
    @blp.doc(operationId="renewLoan")
    @blp.response(200, LoanOut)
    @blp.alt_response(409, description="A hold is waiting, or the renewal limit is reached", **CONFLICT)
    def post(self, loan_id):
        """Renew a loan (members: their own)"""
        loan = get_loan_or_404(loan_id)
        return loans_out([circulation.retrying(circulation.renew, loan, rules())])[0]


@blp.route("/returns")
class Returns(MethodView):
    @access(STAFF)
    @blp.doc(operationId="returnCopy")
    @blp.arguments(ReturnIn)
    @blp.response(200, ReturnOut)
    @blp.alt_response(409, description="The copy is neither on loan, nor pulled for a waiting hold, nor on the hold "
                                       "shelf past its pickup date", **CONFLICT)
    def post(self, data):
        """The desk's return mode: check a copy in by its barcode; a copy pulled from the shelf for a hold is
        captured (put on the hold shelf), and one whose hold is past its pickup date is cleared"""
        scan = circulation.retrying(holdshelf.scan_in, data["barcode"], rules())
        return return_out(scan.loan, scan.hold, scan.action, scan.cleared)


# --- holds ----------------------------------------------------------------------------------------

def get_hold_or_404(hold_id):
    hold = db.session.get(Hold, hold_id)
    if hold is None or (not is_staff() and (hold.member is None or hold.member.user_id != g.principal.user.id)):
        raise Problem(404, f"No hold with id {hold_id}.")
    return hold


@blp.route("/holds")
class HoldList(MethodView):
    @access(USER)
    @blp.doc(operationId="listHolds")
    @blp.arguments(HoldQuery, location="query")
    @blp.response(200, HoldPage, headers=LINK_HEADER)
    def get(self, args):
        """Holds, filtered and sorted (the default is a book's queue order); members see only their own; staff see
        a member's open holds only"""
        own = not is_staff()
        if own:  # a member's own holds, whatever member_id says
            member = my_member(required=False)
            args["member_id"] = member.id if member else -1
        query, order = lists.holds(args, own=own)
        items, total = page_of_query(query, args, order)
        return page_response(holds_out(items), total, args)

    @access(USER)
    @blp.doc(operationId="createHold")
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
    @blp.doc(operationId="getHold")
    @blp.response(200, HoldOut)
    def get(self, hold_id):
        """One hold (members: their own)"""
        return holds_out([get_hold_or_404(hold_id)])[0]

    @access(USER)
    @blp.doc(operationId="cancelHold")
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
    @blp.doc(operationId="listOverdueLoans")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, LoanPage, headers=LINK_HEADER)
    def get(self, args):
        """Overdue loans, longest overdue first"""
        items, total = page_of_query(_overdue_query(), args, [Loan.due_at, Loan.id])
        return page_response(loans_out(items), total, args)


@blp.route("/reports/overdue.csv")
class OverdueCsv(MethodView):
    @access(STAFF)
    @blp.doc(operationId="exportOverdueLoans")
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
    @blp.doc(operationId="getLoanRules")
    @blp.response(200, RulesOut)
    def get(self):
        """The library's loan rules (set by the operator)"""
        return rules().__dict__
