"""The lean lane's PostgreSQL reads through libpq (library/services/pgread.py, issue 12): the server's prepared
statements stay bounded however many distinct pages are asked, a statement the server refuses raises psycopg's own
error and leaves the connection usable, and a connection PostgreSQL drops (a restart) costs no reader an answer.
That the pages it reads are byte-equal to the views' is tests/test_fastpath.py's, on both databases."""

import psycopg
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from library.services import pgread
from library.services.catalog import pg_literal

from .factories import create_book
from .test_fastpath import cache_layer, lanes  # noqa: F401 (fixture)

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(pg_server, pg_template):
    """PostgreSQL only (conftest's runs each test on both): these reads are PostgreSQL's."""
    return pg_server.create_database(template=pg_template)


@pytest.fixture
def connection(database_url):
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        yield connection


def prepared(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'lib\\_%'")
        return cursor.fetchone()[0]


def value(result, column=0) -> int:
    try:
        return pgread.integer(result.get_value(0, column))
    finally:
        result.clear()


def test_statements_are_prepared_on_second_use_and_stay_bounded(connection):
    """Each distinct statement asked twice is prepared once; past PREPARED_MAX the least recently used one is
    deallocated on the server, and every answer is still the statement's own."""
    assert value(pgread.execute(connection, "SELECT %s::integer + 1", (41,))) == 42
    assert prepared(connection) == 0  # run once: not prepared
    assert value(pgread.execute(connection, "SELECT %s::integer + 1", (1,))) == 2
    assert prepared(connection) == 1
    for number in range(pgread.PREPARED_MAX + 50):
        for _twice in range(2):
            assert value(pgread.execute(connection, f"SELECT %s::integer * {number}", (3,))) == 3 * number
    assert prepared(connection) == pgread.PREPARED_MAX
    # the first one was deallocated (least recently used) and is prepared again when asked twice more
    assert value(pgread.execute(connection, "SELECT %s::integer + 1", (2,))) == 3
    assert value(pgread.execute(connection, "SELECT %s::integer + 1", (3,))) == 4
    assert prepared(connection) == pgread.PREPARED_MAX


def test_a_refused_statement_raises_psycopgs_error_and_the_connection_goes_on(connection):
    for _attempt in range(3):  # run once, prepared, then prepared and executed
        with pytest.raises(psycopg.errors.DivisionByZero):
            pgread.execute(connection, "SELECT 1 / %s::integer", (0,))
    with pytest.raises(psycopg.errors.UndefinedTable):
        pgread.execute(connection, "SELECT 1 FROM no_such_table")
    assert value(pgread.execute(connection, "SELECT 1 / %s::integer", (1,))) == 1
    # text parameters and a literal %, as psycopg writes them
    result = pgread.execute(connection, "SELECT %s::text || '%%', length(%s::text)", ("é", "abc"))
    try:
        assert pgread.row(result, 0, range(2)) == ("é%", 3)
    finally:
        result.clear()
    # a float comes back as the same double (a relevance cursor's score is compared for equality)
    score = -0.6079270839691162
    result = pgread.execute(connection, "SELECT %s::float8 = %s::float8, %s::float8", (score, -0.6079270839691162, score))
    try:
        assert pgread.row(result, 0, range(2)) == (True, score)
    finally:
        result.clear()
    with pytest.raises(TypeError):
        pgread.execute(connection, "SELECT %s::bytea", (b"bytes",))


def test_the_catalog_answers_across_a_dropped_connection(app, client, lanes, pg_server, database_url):  # noqa: F811
    """PostgreSQL drops every connection (as a restart does) between two readers' pages: each still gets the whole
    page and book, the lean lane falls back to Flask for the one that met the dead connection, and answers the
    ones after it again itself."""
    lean, flask, answered = lanes
    book = create_book(client, title="Across a Restart")
    for round_ in range(3):
        pages = [f"/api/v1/books?per_page=5&_n={round_}-{n}" for n in range(2)]
        item = f"/api/v1/books/{book['id']}?_n={round_}"
        for url in [*pages, item]:
            assert lean.get(url).data == flask.get(url).data, url
        answered.clear()
        admin = sa.create_engine(pg_server.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        try:
            with admin.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = :name AND pid != pg_backend_pid()"),
                             {"name": database_url.rsplit("/", 1)[1]})
        finally:
            admin.dispose()
        url = f"/api/v1/books?per_page=5&_n={round_}-after"
        first = lean.get(url)
        assert first.status_code == 200 and first.get_json()["items"][0]["title"] == "Across a Restart"
        assert url not in answered  # the lane met the dropped connection: Flask answered
        second = lean.get(url + "-again")
        assert second.status_code == 200 and url + "-again" in answered  # the lane reconnected


# Texts a search writes into its SQL: quotes, backslashes, NULs, non-ASCII letters, and anything else.
SEARCH_TEXTS = st.text(st.sampled_from("ab '\\\x00é中:*&|!()\"") | st.characters(exclude_categories=["Cs"]),
                       max_size=20)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=SEARCH_TEXTS)
def test_a_search_text_is_quoted_as_psycopg_quotes_it(connection, value):
    """The search's own quoting (catalog.pg_literal) writes what psycopg writes, and PostgreSQL reads the text back."""
    try:
        expected = sql.Literal(value).as_string(connection)
    except psycopg.DataError:  # a NUL: psycopg refuses it, and so does the search
        with pytest.raises(psycopg.DataError):
            pg_literal(value, connection)
        return
    assert pg_literal(value, connection) == expected
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT {}").format(sql.SQL(pg_literal(value, connection))))
        assert cursor.fetchone()[0] == value
