"""Password links: an admin's reset link for any user, staff's link for a member's account, and the public side:
"Forgot your password?", checking a link, and setting a password with it."""

from flask import current_app, g, request
from flask.views import MethodView

from ..authz import ADMIN, LOGIN, STAFF, access
from ..errors import PROBLEM_JSON, Conflict, ProblemSchema
from ..extensions import db
from ..models import Member, User
from ..schemas.accounts import AuthState
from ..schemas.passwords import AcceptedOut, LinkOut, LinkPasswordIn, LinkTokenIn, PasswordLinkOut, ResetRequestIn
from ..services import auth, passwordlinks
from .auth import session_response
from .base import Blueprint

blp = Blueprint("passwords", __name__, url_prefix="/api/v1", description="Password links and reset requests")
PROBLEM = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}  # an alt_response documented as problem+json
RESET_REQUESTED = ("If an account has this email, the library has been told that you need a new password. Ask at the "
                   "desk for your reset link.")
RESET_MAILED = ("If an account has this email, a link to choose a new password is on its way there (valid 24 hours). "
                "No e-mail? Ask at the desk.")


def password_link_out(link, raw):
    """A link as staff see it: its address (on the app's public address, LIBRARY_PUBLIC_URL, never the request's
    Host header), purpose and expiry."""
    return {"url": passwordlinks.link_url(current_app.config["LIBRARY_PUBLIC_URL"], raw), "purpose": link.purpose,
            "expires_at": link.expires_at}


def _link_for(user, purpose):
    if not user.is_active:
        raise Conflict("This account is disabled: enable it first.")
    link, raw = passwordlinks.make_link(user, purpose, g.principal.user)
    db.session.commit()
    return password_link_out(link, raw)


@blp.route("/users/<id:user_id>/reset-link")
class UserResetLink(MethodView):
    @access(ADMIN)
    @blp.doc(operationId="createResetLink")
    @blp.response(200, PasswordLinkOut)
    @blp.alt_response(409, description="The account is disabled", **PROBLEM)
    def post(self, user_id):
        """Make a one-time link for a user to set a new password (replacing their last link), to hand over"""
        user = db.get_or_404(User, user_id, description=f"No user with id {user_id}.")
        return _link_for(user, "reset")


@blp.route("/members/<id:member_id>/password-link")
class MemberPasswordLink(MethodView):
    @access(STAFF)
    @blp.doc(operationId="createMemberPasswordLink")
    @blp.response(200, PasswordLinkOut)
    @blp.alt_response(409, description="The card has no account, or it is disabled or a staff account", **PROBLEM)
    def post(self, member_id):
        """Make a one-time link for a member to set their password (e.g. forgotten at the desk); staff accounts'
        links are made by admins"""
        member = db.get_or_404(Member, member_id, description=f"No member with id {member_id}.")
        user = db.session.get(User, member.user_id) if member.user_id else None
        if user is None:
            raise Conflict("This card has no account: give it a login first.")
        if user.role != "member" and g.principal.role != "admin":
            raise Conflict("This card's account is a staff account: an admin makes its reset link.")
        return _link_for(user, "welcome" if user.last_login_at is None else "reset")


@blp.route("/auth/reset-requests")
class ResetRequests(MethodView):
    @access(LOGIN)
    @blp.doc(operationId="requestPasswordReset")
    @blp.arguments(ResetRequestIn)
    @blp.response(202, AcceptedOut)
    def post(self, data):
        """"Forgot your password?": the same answer for any email; the admins see who asked, and with a mail
        server the user is e-mailed a reset link (throttled per email and per address)"""
        mail_base_url = current_app.config["LIBRARY_PUBLIC_URL"] if current_app.config["LIBRARY_SMTP_HOST"] else None
        passwordlinks.request_reset(data["email"], request.remote_addr, mail_base_url)
        return {"detail": RESET_MAILED if mail_base_url else RESET_REQUESTED}


@blp.route("/auth/reset-link")
class ResetLink(MethodView):
    @access(LOGIN)
    @blp.doc(operationId="checkPasswordLink")
    @blp.arguments(LinkTokenIn)
    @blp.response(200, LinkOut)
    @blp.alt_response(404, description="The link is unknown, used, replaced or expired", **PROBLEM)
    def post(self, data):
        """Whether a password link can be used, and for which account"""
        link = passwordlinks.open_link(data["token"])
        return {"email": link.user.email, "display_name": link.user.display_name, "purpose": link.purpose,
                "expires_at": link.expires_at}


@blp.route("/auth/reset-password")
class ResetPassword(MethodView):
    @access(LOGIN)
    @blp.doc(operationId="setPasswordWithLink")
    @blp.arguments(LinkPasswordIn)
    @blp.response(200, AuthState)
    @blp.alt_response(404, description="The link is unknown, used, replaced or expired", **PROBLEM)
    def post(self, data):
        """Set a password with a one-time link: every other session and token of the account ends, and this
        browser is logged in"""
        user = passwordlinks.use_link(data["token"], data["new_password"], current_app.config["LIBRARY_ARGON2"])
        if g.principal.session is not None and g.principal.session.revoked_at is None:
            auth.revoke_session(g.principal.session)  # whoever was logged in here: a new session for this account
        session, raw = auth.open_session(user, request.user_agent.string)
        db.session.commit()
        return session_response(user, session, raw)
