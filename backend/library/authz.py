"""Who may do what: every request passes here before its view.

Each view declares its rule next to it with @access(RULE); a route without a rule is refused (deny by
default). The caller is found once per request: a bearer token (cookies then ignored, no CSRF needed),
else a session cookie (CSRF token required on writes), else anonymous.
"""

from dataclasses import dataclass

from flask import current_app, g, request

from .database import READ_METHODS
from .errors import Problem
from .services import auth

SESSION_COOKIE, SECURE_SESSION_COOKIE = "library_session", "__Host-session"
QUERY_TOKEN_NAMES = ("token", "access_token", "api_key", "apikey", "auth")


@dataclass(frozen=True)
class Rule:
    name: str
    roles: frozenset | None  # None: anyone, anonymous included
    scope: str | None = None  # a token also needs this scope (besides read/write by method)
    session_only: bool = False  # browser-session endpoints (logout, password change)
    csrf: bool = True  # login has no session yet: SameSite=Strict and the JSON-only rule protect it
    identify: bool = True  # False: the view checks a credential of its own (the metrics scrape token)


PUBLIC = Rule("public", None)
LOGIN = Rule("login", None, csrf=False)
USER = Rule("user", frozenset({"admin", "librarian", "member"}))
USER_SESSION = Rule("user_session", frozenset({"admin", "librarian", "member"}), session_only=True)
STAFF = Rule("staff", frozenset({"admin", "librarian"}))
ADMIN = Rule("admin", frozenset({"admin"}), scope="admin")
METRICS = Rule("metrics", None, csrf=False, identify=False)

# What a user with a temporary password may do until they choose their own (besides what anyone may do).
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.Me", "auth.Csrf", "auth.Password", "auth.Logout"})

# Endpoints that are not ours to decorate.
OTHER_RULES = {"api-docs.openapi_json": PUBLIC, "frontend.static_file": PUBLIC, "frontend.cover_file": PUBLIC}


def access(rule: Rule):
    """Declare who may call a view (a MethodView method or a plain view function)."""

    def decorate(func):
        func._access = rule
        return func

    return decorate


def rule_for(view, method: str) -> Rule | None:
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, "get" if method == "HEAD" else method.lower(), None)
        return getattr(handler, "_access", None)
    return getattr(view, "_access", None)


def endpoint_rule(endpoint: str, method: str, app=None) -> Rule | None:
    view = (app or current_app).view_functions.get(endpoint)
    return rule_for(view, method) or OTHER_RULES.get(endpoint)


def _identify() -> auth.Principal:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, raw = header.partition(" ")
        principal = auth.token_principal(raw.strip()) if scheme.lower() == "bearer" and raw.strip() else None
        if principal is None:
            raise Problem(401, "The bearer token is invalid, expired or revoked.",
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return principal
    if any(name in request.args for name in QUERY_TOKEN_NAMES):
        raise Problem(401, "Tokens are not accepted in the URL; send Authorization: Bearer <token>.")
    raw = request.cookies.get(SECURE_SESSION_COOKIE) or request.cookies.get(SESSION_COOKIE)
    if raw:
        principal = auth.session_principal(raw)
        if principal is not None:
            return principal
        g.clear_session_cookie = True
    return auth.Principal()


def authorize_request():
    """Identify the caller and apply the endpoint's rule; 401 for nobody, 403 for the wrong role or scope."""
    g.principal = auth.Principal()
    if request.url_rule is None or request.method == "OPTIONS":
        return None  # routing answers 404/405; OPTIONS is Flask's automatic answer
    rule = endpoint_rule(request.endpoint, request.method)
    if rule is not None and not rule.identify:
        return None
    g.principal = principal = _identify()
    if rule is None:
        _deny(403, "This endpoint has no access rule.")
    if rule.roles is not None:
        _check_role(rule, principal)
        if principal.user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            _deny(403, "Your password is a temporary one: change it first (POST /api/v1/auth/password).")
    if principal.via == "session" and rule.csrf and request.method not in READ_METHODS:
        auth.check_csrf(request.headers.get("X-CSRFToken"), principal.session, current_app.config["SECRET_KEY"])
    return None


def _check_role(rule: Rule, principal: auth.Principal) -> None:
    if principal.user is None:
        _deny(401, "Log in or send a bearer token.")
    if principal.role not in rule.roles:
        _deny(403, "Your role does not allow this.")
    if rule.session_only and principal.via != "session":
        _deny(403, "This needs a browser session, not a token.")
    if principal.via == "token":
        needed = {"read" if request.method in READ_METHODS else "write"} | ({rule.scope} if rule.scope else set())
        if not needed <= principal.scopes:
            _deny(403, f"The token lacks the scope(s): {', '.join(sorted(needed - principal.scopes))}.")


def _deny(status, detail):
    principal = g.principal
    current_app.logger.warning(
        "access denied: status=%s user=%s via=%s method=%s route=%s",
        status, principal.user.id if principal.user else "-", principal.via, request.method, request.path,
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    raise Problem(status, detail, headers=headers)


def set_session_cookie(response, raw: str | None):
    """Set (or with None, clear) the session cookie: __Host- prefixed and Secure over HTTPS."""
    secure = request.is_secure
    name = SECURE_SESSION_COOKIE if secure else SESSION_COOKIE
    if raw is None:
        for cookie in (SESSION_COOKIE, SECURE_SESSION_COOKIE):
            if cookie in request.cookies:
                response.delete_cookie(cookie, path="/", secure=cookie == SECURE_SESSION_COOKIE, httponly=True,
                                       samesite="Strict")
        return response
    response.set_cookie(name, raw, path="/", secure=secure, httponly=True, samesite="Strict")
    return response


def clear_stale_cookie(response):
    if g.get("clear_session_cookie") and not g.get("session_cookie_set"):
        set_session_cookie(response, None)
    return response
