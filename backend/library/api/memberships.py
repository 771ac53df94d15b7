"""Memberships: logins for library cards, signing up online, approving or rejecting pending cards, and a
member's own contact details."""

from flask import current_app, g, request, url_for
from flask.views import MethodView

from ..authz import LOGIN, STAFF, USER, access
from ..extensions import db
from ..schemas.memberships import ApplyIn, ApproveIn, ContactPatch, MemberLoginOut, RegisterIn
from ..schemas.circulation import MemberOut
from ..schemas.passwords import AcceptedOut, NewLoginIn
from ..services import memberships
from .base import Blueprint
from .circulation import get_member_or_404, members_out, my_member
from .passwords import PROBLEM, password_link_out

blp = Blueprint("memberships", __name__, url_prefix="/api/v1",
                description="Member logins, signing up online and approving cards")
REGISTERED = ("Thank you. The library will check your details and give you a card number; log in with your email "
              "and password to see when your card is ready.")


def _member_out(member):
    return members_out([member])[0]


@blp.route("/auth/register")
class Register(MethodView):
    @access(LOGIN)
    @blp.doc(operationId="signUp")
    @blp.arguments(RegisterIn)
    @blp.response(202, AcceptedOut)
    @blp.alt_response(403, description="Signing up online is turned off (the self_registration setting)", **PROBLEM)
    def post(self, data):
        """Sign up for a library card: a member account and a card waiting for staff approval. The same answer
        whether or not the email already has an account (throttled per email and per address)"""
        memberships.register(data["name"], data["email"], data["password"], data.get("phone"), request.remote_addr,
                             current_app.config["LIBRARY_ARGON2"])
        return {"detail": REGISTERED}


@blp.route("/members/me")
class MyCard(MethodView):
    @access(USER)
    @blp.doc(operationId="applyForCard")
    @blp.arguments(ApplyIn)
    @blp.response(201, MemberOut)
    @blp.alt_response(403, description="Signing up online is turned off", **PROBLEM)
    @blp.alt_response(409, description="Your account already has a card", **PROBLEM)
    def post(self, data):
        """Ask for a library card for your account; staff approve it and give it its number"""
        member = memberships.apply_for_card(g.principal.user, data["name"], data.get("phone"))
        return _member_out(member), {"Location": url_for("circulation.MyMember")}

    @access(USER)
    @blp.doc(operationId="updateMyContact")
    @blp.arguments(ContactPatch)
    @blp.response(200, MemberOut)
    def patch(self, data):
        """Change your own contact details (email, phone) on your library card"""
        return _member_out(memberships.update_contact(my_member(), data))


@blp.route("/members/<id:member_id>/approve")
class Approve(MethodView):
    @access(STAFF)
    @blp.doc(operationId="approveMember")
    @blp.arguments(ApproveIn)
    @blp.response(200, MemberOut)
    @blp.alt_response(409, description="The card is not pending, or the card number is in use", **PROBLEM)
    def post(self, data, member_id):
        """Approve a pending card, giving it its card number: the member can borrow from now on"""
        return _member_out(memberships.approve(get_member_or_404(member_id), data["card_number"]))


@blp.route("/members/<id:member_id>/reject")
class Reject(MethodView):
    @access(STAFF)
    @blp.doc(operationId="rejectMember")
    @blp.response(204)
    @blp.alt_response(409, description="The card is not pending", **PROBLEM)
    def post(self, member_id):
        """Reject a pending card: it is deleted and the account made with it is disabled"""
        memberships.reject(get_member_or_404(member_id))


@blp.route("/members/<id:member_id>/login")
class MemberLogin(MethodView):
    @access(STAFF)
    @blp.doc(operationId="createMemberLogin")
    @blp.arguments(NewLoginIn)
    @blp.response(201, MemberLoginOut)
    @blp.alt_response(409, description="The card has an account already, or the email is taken", **PROBLEM)
    def post(self, data, member_id):
        """Give a card a new member account: with a link for the member to set their password, or a temporary
        password they change at first login"""
        member = get_member_or_404(member_id)
        user, link, raw = memberships.give_login(member, data["email"], data.get("temporary_password"),
                                                 current_app.config["LIBRARY_ARGON2"])
        db.session.refresh(member)
        body = {"member": _member_out(member), "password_link": password_link_out(link, raw) if link else None}
        return body, {"Location": url_for("users.UserItem", user_id=user.id)}
