"""The OpenAPI document is the contract: every route is in it, and the API honours it under fuzzing."""

import re
import tempfile
from pathlib import Path

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, settings

from library import create_app

from .conftest import migrate
from .factories import book_payload

# Routes that serve the documentation itself rather than the API.
UNDOCUMENTED = {"api-docs.openapi_json", "docs_asset"}


def _spec_path(rule):
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


def test_every_route_is_in_the_spec_and_every_spec_path_is_a_route(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")}
    routed = {
        (_spec_path(rule.rule), method)
        for rule in app.url_map.iter_rules() if rule.endpoint not in UNDOCUMENTED
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == documented


def test_every_operation_documents_its_errors(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "patch", "delete"):
                continue
            codes = set(operation["responses"])
            if "{" in path:
                assert "404" in codes or "default" in codes, (path, method)
            if method in ("post", "patch"):
                assert {"415", "422"} <= codes or "default" in codes, (path, method)


ROLES = ("anonymous", "member", "librarian", "admin")


def _fuzz_app():
    """One app on a migrated SQLite file with a few books and a user (and token) per role, built at collection."""
    from library.extensions import db
    from library.models import User
    from library.services import auth, passwords

    path = Path(tempfile.mkdtemp(prefix="library-fuzz-")) / "library.db"
    url = f"sqlite:///{path}"
    migrate(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(path.parent)})
    tokens = {"anonymous": None}
    with app.app_context():
        for role in ROLES[1:]:
            user = User(email=f"{role}@fuzz.test", display_name=role, role=role, is_active=True,
                        password_hash=passwords.hash_password("fuzzing is fun", app.config["LIBRARY_ARGON2"]))
            db.session.add(user)
            db.session.commit()
            tokens[role] = auth.create_token(user, "fuzz", sorted(auth.ROLE_SCOPES[role]), 30, frozenset(auth.SCOPES))[1]
    librarian = app.test_client()
    for n in range(3):
        response = librarian.post("/api/v1/books", json=book_payload(authors=[{"name": f"Fuzz Author{n}"}]),
                                  headers={"Authorization": f"Bearer {tokens['librarian']}"})
        assert response.status_code == 201
    return app, tokens


# The import's upload is a file of its own content type (MARC, MARCXML, CSV): sent as the raw bytes generated for it.
schemathesis.serializer.alias(["application/marc", "application/marcxml+xml", "application/xml", "text/xml", "text/csv"],
                              "application/octet-stream")

FUZZ_APP, TOKENS = _fuzz_app()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", FUZZ_APP)


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case, role):
    """Once per role with its credentials: no 5xx, only documented status codes, bodies and headers matching
    the spec, invalid input refused, and no operation that needs a login answers without one (ignored_auth).

    positive_data_acceptance is off: some rules cannot be said in JSON Schema (an ISBN's check digit, a
    URL's host, a role's permissions), so a schema-valid request may rightly get a 4xx; every other check runs.
    """
    headers = {"Authorization": f"Bearer {TOKENS[role]}"} if TOKENS[role] else None
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])


def test_api_conforms_on_postgresql_too(pg_server, pg_template, tmp_path):
    """PostgreSQL refuses what SQLite stores (NUL bytes, lone surrogates, huge integers): fuzz every
    operation once more, per role, against it."""
    from hypothesis import given

    from library.extensions import db
    from library.models import User
    from library.services import auth, passwords

    app = create_app({"SQLALCHEMY_DATABASE_URI": pg_server.create_database(template=pg_template),
                      "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(tmp_path)})
    tokens = {"anonymous": None}
    with app.app_context():
        for role in ROLES[1:]:
            user = User(email=f"{role}@fuzz.test", display_name=role, role=role, is_active=True,
                        password_hash=passwords.hash_password("fuzzing is fun", app.config["LIBRARY_ARGON2"]))
            db.session.add(user)
            db.session.commit()
            tokens[role] = auth.create_token(user, "fuzz", sorted(auth.ROLE_SCOPES[role]), 30, frozenset(auth.SCOPES))[1]
    pg_schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures = []
    def fuzz(operation, headers):
        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()

    for role, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else None
        for operation in pg_schema.get_all_operations():
            operation = operation.ok()
            try:
                fuzz(operation, headers)
            except BaseException as error:  # noqa: BLE001 - collect every operation's failure, then report
                failures.append(f"{role} {operation.label}: {str(error)[:500]}")
    with app.app_context():
        db.engine.dispose()
    assert failures == []
