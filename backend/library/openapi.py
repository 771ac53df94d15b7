"""Completes the OpenAPI document from what the code declares: each operation's errors and access rule."""

from apispec import BasePlugin

from . import authz

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "A personal API token (POST /api/v1/tokens or `flask create-token`)."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": authz.SESSION_COOKIE,
                      "description": "The browser session from POST /api/v1/auth/login (named __Host-session over "
                                     "HTTPS); writes also need the X-CSRFToken header."},
    "metricsToken": {"type": "http", "scheme": "bearer",
                     "description": "LIBRARY_METRICS_TOKEN, for /api/metrics only (Prometheus' scrape)."},
}

IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                 "description": "An ETag from an earlier response: 304 without a body when nothing changed"}


class LibraryPlugin(BasePlugin):
    """Adds to every operation: its security requirement (from @access), 401/403 where a login is needed,
    404 on paths with an id, 400/413/415/422 on writes with a body, the Idempotency-Key header (with its 409 and
    422) on POSTs by a caller, 429 on login, 500/503 everywhere."""

    def __init__(self, app):
        self.app = app

    def init_spec(self, spec):
        super().init_spec(spec)
        for name, scheme in SECURITY_SCHEMES.items():
            spec.components.security_scheme(name, scheme)

    def schema_helper(self, name, definition, **kwargs):
        """A schema's rules over several fields, which marshmallow states in code (@validates_schema), go into
        the spec from the schema's OPENAPI_EXTRA (e.g. oneOf: card_number or member_id, not both)."""
        schema = kwargs.get("schema")
        extra = getattr(schema if isinstance(schema, type) else type(schema), "OPENAPI_EXTRA", None)
        return dict(extra) if extra else None

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs):
        view = self.app.view_functions.get(rule.endpoint) if rule is not None else None
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            if "304" in map(str, responses):  # a conditional GET (api/base.py conditional)
                operation.setdefault("parameters", []).append(IF_NONE_MATCH)
            extra = {"503": "SERVICE_UNAVAILABLE", "500": "INTERNAL_SERVER_ERROR"}
            if "{" in (path or ""):
                extra["404"] = "NOT_FOUND"
            if method in ("post", "put", "patch") and "requestBody" in operation:
                extra.update({"400": "BAD_REQUEST", "413": "REQUEST_ENTITY_TOO_LARGE",
                              "415": "UNSUPPORTED_MEDIA_TYPE", "422": "UNPROCESSABLE_ENTITY"})
            access = authz.rule_for(view, method.upper()) if view is not None else None
            if access is not None and access.roles is not None:
                schemes = [{"sessionCookie": []}] if access.session_only else [{"bearerAuth": []}, {"sessionCookie": []}]
                operation["security"] = schemes
                extra.update({"401": "UNAUTHORIZED", "403": "FORBIDDEN"})
                if method not in ("get", "head"):
                    extra["400"] = "BAD_REQUEST"  # a missing or expired CSRF token
                roles = ", ".join(sorted(access.roles))
                operation["description"] = (operation.get("description", "") + f"\n\nAllowed roles: {roles}."
                                            + (f" Tokens need the `{access.scope}` scope." if access.scope else "")).strip()
            elif access is not None:
                operation.setdefault("security", [])
            if method == "post" and access is not None and access.roles is not None:
                from .api.idempotency import PARAMETER

                operation.setdefault("parameters", []).append(PARAMETER)
                extra.update({"409": "CONFLICT", "422": "UNPROCESSABLE_ENTITY"})
            if access is authz.LOGIN:
                extra["429"] = "TOO_MANY_REQUESTS"
            for code, name in extra.items():
                responses.setdefault(code, name)
