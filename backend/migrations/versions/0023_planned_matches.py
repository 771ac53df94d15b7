"""library_planned_matches(tsquery): how many books the planner expects a search to match (PostgreSQL only).

It returns the "Plan Rows" of `EXPLAIN SELECT 1 FROM book_search WHERE document @@ query`, the figure a search
compares with 2 * COUNT_EXACT_MAX to choose between counting its matches and estimating them (search.Match.sample),
so the lean lane's search (services/catalog._PostgresSearch.counted_page) can make that choice, count the matches
and read the ranked page in one statement instead of first sending the EXPLAIN on its own. The query is passed as
a literal, as the planner sees it in the search's own statement once its functions are folded. VOLATILE:
PostgreSQL runs EXPLAIN in no other kind of function. SQLite has nothing to add.

Revision ID: 0023_planned_matches
Revises: 0022_book_document
Create Date: 2026-12-02

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023_planned_matches'
down_revision = '0022_book_document'
branch_labels = None
depends_on = None

PG_FUNCTION = """CREATE FUNCTION library_planned_matches(query tsquery) RETURNS double precision
LANGUAGE plpgsql VOLATILE STRICT AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE format('EXPLAIN (FORMAT JSON) SELECT 1 FROM book_search WHERE book_search.document @@ %L::tsquery', query)
        INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::double precision;
END $$"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS library_planned_matches(tsquery)")
