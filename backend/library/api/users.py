"""/api/v1/users (admins), /api/v1/tokens (your own API tokens) and /api/v1/audit (admins)."""

from flask import current_app, g, url_for
from flask.views import MethodView
from sqlalchemy import func, or_, select

from ..authz import ADMIN, USER, access
from ..errors import PROBLEM_JSON, Conflict, Problem, ProblemSchema
from ..extensions import db
from ..models import ApiToken, AuditEvent, User
from ..schemas.accounts import (
    AuditOut, AuditQuery, NewTokenOut, SessionOut, TokenIn, TokenOut, UserIn, UserOut, UserPatch, UserQuery,
)
from ..schemas.common import PageQuery, page_of
from ..services import auth, passwords
from ..services.catalog import like_pattern
from .base import Blueprint
from .pagination import LINK_HEADER, page_of_query, page_response

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Users, API tokens and the audit trail")
UserPage = page_of(UserOut, "UserPage")
TokenPage = page_of(TokenOut, "TokenPage")
AuditPage = page_of(AuditOut, "AuditPage")


def paged(query, args, order_by):
    return page_response(*page_of_query(query, args, order_by), args)


def get_user_or_404(user_id):
    return db.get_or_404(User, user_id, description=f"No user with id {user_id}.")


@blp.route("/users")
class UserList(MethodView):
    @access(ADMIN)
    @blp.doc(operationId="listUsers")
    @blp.arguments(UserQuery, location="query")
    @blp.response(200, UserPage, headers=LINK_HEADER)
    def get(self, args):
        """List users"""
        query = select(User)
        if term := args.get("q"):
            like = like_pattern(term)
            query = query.where(or_(func.lower(User.email).like(like, escape="\\"),
                                    func.lower(User.display_name).like(like, escape="\\")))
        if role := args.get("role"):
            query = query.where(User.role == role)
        if "active" in args:
            query = query.where(User.is_active.is_(args["active"]))
        if "reset_requested" in args:
            requested = User.password_reset_requested_at
            query = query.where(requested.is_not(None) if args["reset_requested"] else requested.is_(None))
        return paged(query, args, [func.lower(User.email), User.id])

    @access(ADMIN)
    @blp.doc(operationId="createUser")
    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON, description="The email is taken")
    def post(self, data):
        """Create a user with a role and a first password: a temporary one unless must_change_password is false"""
        if problems := passwords.problems(data["password"]):
            raise Problem(422, "The request has invalid fields; see errors.", {"password": problems})
        if auth.user_by_email(data["email"]):
            raise Conflict("A user with this email already exists.", {"email": ["A user with this email already exists."]})
        user = User(email=data["email"], display_name=data["display_name"], role=data["role"], is_active=True,
                    password_hash=passwords.hash_password(data["password"], current_app.config["LIBRARY_ARGON2"]),
                    must_change_password=data["must_change_password"])
        db.session.add(user)
        db.session.commit()
        return user, {"Location": url_for("users.UserItem", user_id=user.id)}


@blp.route("/users/<id:user_id>")
class UserItem(MethodView):
    @access(ADMIN)
    @blp.doc(operationId="getUser")
    @blp.response(200, UserOut)
    def get(self, user_id):
        """Get one user"""
        return get_user_or_404(user_id)

    @access(ADMIN)
    @blp.doc(operationId="updateUser")
    @blp.arguments(UserPatch)
    @blp.response(200, UserOut)
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="Admins cannot demote or disable themselves")
    def patch(self, data, user_id):
        """Change a user's display name, role or active flag; disabling or a new role ends their sessions and tokens"""
        user = get_user_or_404(user_id)
        if user.id == g.principal.user.id and (data.get("role", "admin") != "admin" or data.get("is_active") is False):
            raise Conflict("You cannot demote or disable yourself; ask another admin.")
        role_changed = "role" in data and data["role"] != user.role
        disabled = data.get("is_active") is False and user.is_active
        for key, value in data.items():
            setattr(user, key, value)
        if role_changed or disabled:
            auth.revoke_sessions(user)
        if disabled:
            auth.revoke_tokens(user)
        db.session.commit()
        return user


@blp.route("/users/<id:user_id>/sessions")
class UserSessions(MethodView):
    @access(ADMIN)
    @blp.doc(operationId="listUserSessions")
    @blp.response(200, SessionOut(many=True))
    def get(self, user_id):
        """A user's open browser sessions"""
        return auth.open_sessions(get_user_or_404(user_id))

    @access(ADMIN)
    @blp.doc(operationId="revokeUserSessions")
    @blp.response(204)
    def delete(self, user_id):
        """End all of a user's sessions (their tokens stay)"""
        auth.revoke_sessions(get_user_or_404(user_id))
        db.session.commit()


@blp.route("/tokens")
class TokenList(MethodView):
    @access(USER)
    @blp.doc(operationId="listTokens")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, TokenPage, headers=LINK_HEADER)
    def get(self, args):
        """Your active API tokens (never the secrets)"""
        return paged(auth.active_tokens_query(g.principal.user), args, [ApiToken.id])

    @access(USER)
    @blp.doc(operationId="createToken")
    @blp.arguments(TokenIn)
    @blp.response(201, NewTokenOut)
    def post(self, data):
        """Create a token: the response holds the secret, shown only this once"""
        principal = g.principal
        limit = principal.scopes if principal.via == "token" else frozenset(auth.SCOPES)
        token, raw = auth.create_token(principal.user, data["name"], data["scopes"], data["expires_in_days"], limit)
        token.token = raw
        return token


@blp.route("/tokens/<id:token_id>")
class TokenItem(MethodView):
    @access(USER)
    @blp.doc(operationId="revokeToken")
    @blp.response(204)
    def delete(self, token_id):
        """Revoke one of your tokens at once"""
        token = db.session.scalar(auth.active_tokens_query(g.principal.user).where(ApiToken.id == token_id))
        if token is None:
            raise Problem(404, f"You have no active token with id {token_id}.")
        auth.revoke_token(token, g.principal.user)


@blp.route("/audit")
class Audit(MethodView):
    @access(ADMIN)
    @blp.doc(operationId="listAuditEvents")
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditPage, headers=LINK_HEADER)
    def get(self, args):
        """The audit trail, newest first: who changed what and when, and authentication events"""
        query = select(AuditEvent)
        filters = {"actor": AuditEvent.actor_id, "action": AuditEvent.action, "resource_type": AuditEvent.resource_type,
                   "resource_id": AuditEvent.resource_id}
        for key, column in filters.items():
            if args.get(key) is not None:
                query = query.where(column == args[key])
        if args.get("actor_email"):
            query = query.where(func.lower(AuditEvent.actor) == args["actor_email"].lower())
        if args.get("since"):
            query = query.where(AuditEvent.at >= args["since"])
        if args.get("until"):
            query = query.where(AuditEvent.at < args["until"])
        return paged(query, args, [AuditEvent.at.desc(), AuditEvent.id.desc()])
