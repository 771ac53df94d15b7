"""/api/v1/auth: log in and out, who am I, CSRF token, password change."""

from flask import current_app, g, request
from flask.views import MethodView
from sqlalchemy import select

from ..authz import LOGIN, PUBLIC, USER_SESSION, access, set_session_cookie
from ..errors import PROBLEM_JSON, Problem, ProblemSchema
from ..extensions import db
from ..models import Member
from ..schemas.accounts import AuthState, CsrfOut, LoginIn, PasswordChangeIn
from ..services import audit, auth, passwordlinks, passwords
from .base import Blueprint

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Browser sessions")


def _state(principal_user, session=None):
    token = auth.csrf_token(session, current_app.config["SECRET_KEY"]) if session is not None else None
    return {"user": principal_user, "member": _card(principal_user), "csrf_token": token}


def _card(user):
    """The user's library card as {id, status}, or None (a visitor, or an account without a card)."""
    if user is None:
        return None
    row = db.session.execute(select(Member.id, Member.status).where(Member.user_id == user.id)).first()
    return row._asdict() if row else None


def _with_session(body, raw, status=200):
    """A response that sets (or, with None, clears) the session cookie."""
    g.session_cookie_set = True
    return set_session_cookie(current_app.make_response((body, status)), raw)


def session_response(user, session, raw):
    """The AuthState answer of a new session (login, password change, a password link), with its cookie."""
    return _with_session(AuthState().dump(_state(user, session)), raw)


def _hash_params():
    return current_app.config["LIBRARY_ARGON2"]


@blp.route("/login")
class Login(MethodView):
    @access(LOGIN)
    @blp.doc(operationId="logIn")
    @blp.arguments(LoginIn)
    @blp.response(200, AuthState)
    @blp.alt_response(401, schema=ProblemSchema, content_type=PROBLEM_JSON, description="Incorrect email or password")
    def post(self, data):
        """Log in: opens a session (cookie) and returns the user and a CSRF token"""
        session, raw = auth.login(data["email"], data["password"], _hash_params(), request.user_agent.string,
                                  request.remote_addr)
        if g.principal.session is not None:  # a new id at login: the previous session ends
            auth.revoke_session(g.principal.session)
            db.session.commit()
        return session_response(session.user, session, raw)


@blp.route("/logout")
class Logout(MethodView):
    @access(USER_SESSION)
    @blp.doc(operationId="logOut")
    @blp.response(204)
    def post(self):
        """Log out: the session ends on the server, so the cookie is worthless even if kept"""
        auth.revoke_session(g.principal.session)
        audit.record("auth.logout", actor=g.principal.user)
        db.session.commit()
        return _with_session("", None, status=204)


@blp.route("/me")
class Me(MethodView):
    @access(PUBLIC)
    @blp.doc(operationId="getMe")
    @blp.response(200, AuthState)
    def get(self):
        """Who is asking: the logged-in user, their library card, how they are authenticated and a CSRF token for
        a session; for a visitor (no credentials, or a session that has ended) user, member and csrf_token are null.
        An invalid bearer token is still a 401."""
        principal = g.principal
        if principal.user is None:
            return _state(None)
        return {**_state(principal.user, principal.session), "via": principal.via, "scopes": sorted(principal.scopes)}


@blp.route("/csrf")
class Csrf(MethodView):
    @access(USER_SESSION)
    @blp.doc(operationId="getCsrfToken")
    @blp.response(200, CsrfOut)
    def get(self):
        """A fresh CSRF token for this session (they expire after an hour)"""
        return {"csrf_token": auth.csrf_token(g.principal.session, current_app.config["SECRET_KEY"])}


@blp.route("/password")
class Password(MethodView):
    @access(USER_SESSION)
    @blp.doc(operationId="changePassword")
    @blp.arguments(PasswordChangeIn)
    @blp.response(200, AuthState)
    def post(self, data):
        """Change your password (also a temporary one): every session and token of yours ends, and open password
        links too; this browser gets a new session"""
        user = g.principal.user
        errors = {}
        if not passwords.verify(user.password_hash, data["current_password"], _hash_params()):
            errors["current_password"] = ["This is not your current password."]
        if problems := passwords.problems(data["new_password"]):
            errors["new_password"] = problems
        if errors:
            raise Problem(422, "The request has invalid fields; see errors.", errors)
        passwordlinks.set_password(user, data["new_password"], _hash_params())
        session, raw = auth.open_session(user, request.user_agent.string)
        db.session.commit()
        return session_response(user, session, raw)
