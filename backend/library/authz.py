"""The one place every API write passes before its view: the authorization check hooks in here.

Until accounts and roles exist (issue #4), the catalog is open for writing; this hook is where the
policy table (role, endpoint, method) -> allow, denying by default, is consulted.
"""

from flask import request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def allowed(endpoint: str | None, method: str) -> bool:
    """Whether the current caller may call endpoint with method; everyone may, for now."""
    return True


def authorize_request():
    from .errors import Problem

    if request.method in SAFE_METHODS or not request.path.startswith("/api/"):
        return None
    if not allowed(request.endpoint, request.method):
        raise Problem(403, "You are not allowed to do this.")
    return None
