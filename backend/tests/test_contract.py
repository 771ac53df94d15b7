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
from .replay import Answer, ReplayServer

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


OPERATION_ID = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$")  # camelCase verb + noun: listBooks, createLoan


def test_every_operation_has_a_readable_unique_operation_id(app):
    """Generated clients name their functions after operationIds (list_books, create_loan)."""
    spec = app.test_client().get("/api/openapi.json").get_json()
    ids = [(operation.get("operationId"), method.upper(), path) for path, item in spec["paths"].items()
           for method, operation in item.items() if method in ("get", "post", "put", "patch", "delete")]
    assert [(m, p) for op_id, m, p in ids if not op_id] == [], "operations without an operationId"
    assert [op_id for op_id, _m, _p in ids if not OPERATION_ID.match(op_id)] == []
    seen = {}
    for op_id, method, path in ids:
        seen.setdefault(op_id, []).append(f"{method} {path}")
    assert {op_id: where for op_id, where in seen.items() if len(where) > 1} == {}


def test_every_query_parameter_a_view_reads_is_in_the_spec(app):
    """Found: GET /books documented none of its query parameters (a parameters list in the docs replaced those
    of @blp.arguments), so a generated client could not search. Every field of every query schema a view
    loads must be a parameter of its operation, and a conditional GET documents If-None-Match as well."""
    from flask.views import MethodView

    spec = app.test_client().get("/api/openapi.json").get_json()
    checked = 0
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if view_class is None or not issubclass(view_class, MethodView):
            continue
        operations = spec["paths"].get(_spec_path(rule.rule), {})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            apidoc = getattr(getattr(view_class, method.lower()), "_apidoc", {})
            documented = {p["name"] for p in operations[method.lower()].get("parameters", [])}
            for argument in apidoc.get("arguments", {}).get("parameters", []):
                if argument["in"] == "query":
                    fields = {f.data_key or name for name, f in argument["schema"]().fields.items()}
                    assert fields <= documented, (method, rule.rule, sorted(fields - documented))
                    checked += len(fields)
            if 304 in apidoc.get("response", {}).get("responses", {}) or "304" in operations[method.lower()]["responses"]:
                assert "If-None-Match" in documented, (method, rule.rule)
    assert checked > 50
    assert {"q", "sort", "cursor", "facets"} <= {p["name"] for p in spec["paths"]["/api/v1/books"]["get"]["parameters"]}


ROLES = ("anonymous", "member", "librarian", "admin")


def _fuzz_app():
    """One app on a migrated SQLite file with a few books and a user (and token) per role, built at collection."""
    from library.extensions import db
    from library.models import User
    from library.services import auth, passwords

    path = Path(tempfile.mkdtemp(prefix="library-fuzz-")) / "library.db"
    url = f"sqlite:///{path}"
    migrate(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(path.parent),
                      **LOOKUP_PROVIDER.config("openlibrary")})
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


# ISBN lookups go to a local server that knows no ISBN (Open Library's "not found" answer, {}), never the internet;
# without any provider the lookup would rightly answer 503, which the fuzz counts as a server error.
LOOKUP_PROVIDER = ReplayServer(default=Answer(200, b"{}")).__enter__()

# The import's upload is a file of its own content type (MARC, MARCXML, CSV): sent as the raw bytes generated for it.
schemathesis.serializer.alias(["application/marc", "application/marcxml+xml", "application/xml", "text/xml", "text/csv"],
                              "application/octet-stream")
FUZZ_APP, TOKENS = _fuzz_app()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", FUZZ_APP)


# What JSON Schema cannot say, so that the spec calls valid a request the API rightly refuses with a 422: an
# ISBN's check digit, a cursor that no list handed out, a reference to a record that does not exist, a
# password on the common-password list, an Idempotency-Key used before with another body, a page number too
# deep for its per_page, token scopes beyond the caller's role, a new card given both an account to link and a
# new login, label sheets' choices (the descriptions in the spec say each). Each by its exact message, so that no
# other 422 hides behind them.
SEMANTIC_422 = re.compile("|".join([
    r"Not a valid ISBN: (?:wrong check digit|an ISBN-13 starts with 978 or 979)\.",
    r"Not a cursor from this list; start again without cursor\.",
    r"No (?:copy with barcode|member with (?:id|card)|book with id|user with id|author with id) .+\.",
    r"No user account has this email\.",
    r"No stored cover has this id; upload the image first\.",
    r"Already used with another request body or target\.",  # an Idempotency-Key sent again with another body
    r"This password is one of the most common ones; choose another\.",  # zxcvbn's list (services/passwords.py)
    r"Page numbers reach the first 10000 books; go deeper with cursor=next_cursor\.",  # page x per_page
    r"Not allowed for you: .+\.",  # token scopes beyond the caller's role
    # an import's file that is no MARC or CSV (an image, an archive, nothing) or a CSV without its header row
    r"The file is (?:empty|neither MARC \(ISO 2709 or MARCXML\) nor CSV text|.+, not a MARC or CSV file)\b.*",
    r"The CSV file has (?:no header row|\d+ columns).+",
    r"Give at most one of user_id, user_email and login\.",  # a new card's account: link one or make one
    r"No (?:copy|member) matches this choice\.",  # label sheets: ids, a book or a day with no copy or member
    r"Choose the copies: copy_id, book_id or added_on\.",  # label sheets: one of the three
    r"A \S+ sheet has \d+ labels\.",  # label sheets: skip fewer labels than a sheet has
    r"\S+ does not fit \w+ labels; it takes .+\.",  # label sheets: a sheet takes some layouts only
    # statistics: a period's days (from, and to's default from), its order, length and number of buckets
    r"A day from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\.", r"The period ends before it starts\.", r"At most \d+ days\.",
    r"At most \d+ (?:day|week|month)s: group by a longer unit or choose a shorter period\.",
    # merges: the same id on both sides (an author's {author_id} and duplicate_id; a book among the ones merged into
    # it), or a book merged away already
    r"An author cannot be merged with themselves\.", r"A book cannot be merged into itself\.",
    r"Book \d+ was already merged into book \d+\.",
]))


def check_positive_data_acceptance(case, response):
    """schemathesis' positive_data_acceptance, less the rules above: a request generated as valid may get a
    2xx, 401/403 (roles), 404 (ids), 409 (conflicts) or 429, or a 422 whose every message is one of them."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code not in (400, 422):
        return
    body = response.json()
    messages = [message for values in body.get("errors", {}).values() for message in values]
    assert response.status_code == 422 and messages and all(SEMANTIC_422.fullmatch(m) for m in messages), (
        f"valid data refused: {case.method} {case.path} {case.query} {case.body!r} -> {response.status_code} {body}")


def call_with_every_check(case, headers):
    """Every schemathesis check (status codes, headers and bodies as documented, negative data refused, auth
    not ignored ...), with positive data acceptance as above. Asked in English: the fuzz of PATCH /settings may
    set the library's default language, which answers requests without Accept-Language, and SEMANTIC_422 is
    written in English (the translated messages are tests/test_i18n.py's)."""
    headers = {**(headers or {}), "Accept-Language": "en"}
    response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
    check_positive_data_acceptance(case, response)


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case, role):
    """Once per role with its credentials, every check: no 5xx, only documented status codes, bodies and
    headers matching the spec, invalid input refused, valid input accepted (check_positive_data_acceptance),
    and no operation that needs a login answers without one (ignored_auth)."""
    headers = {"Authorization": f"Bearer {TOKENS[role]}"} if TOKENS[role] else None
    call_with_every_check(case, headers)


def test_api_conforms_on_postgresql_too(pg_server, pg_template, tmp_path):
    """PostgreSQL refuses what SQLite stores (NUL bytes, lone surrogates, huge integers): fuzz every
    operation once more, per role, against it."""
    from hypothesis import given

    from library.extensions import db
    from library.models import User
    from library.services import auth, passwords

    app = create_app({"SQLALCHEMY_DATABASE_URI": pg_server.create_database(template=pg_template),
                      "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(tmp_path), **LOOKUP_PROVIDER.config("openlibrary")})
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
            call_with_every_check(case, headers)

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
