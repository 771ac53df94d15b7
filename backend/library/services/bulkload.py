"""The bulk importer's writer: rows go to the database as one prepared statement per table (SQLite's executemany)
or a COPY (PostgreSQL), with ids handed out in blocks beforehand instead of read back row by row.

It writes inside the caller's transaction (the session's connection), so a batch stays all or nothing. Ids:
PostgreSQL takes a block of values from the table's own sequence (never handed out twice, whoever else inserts);
SQLite continues after the highest id, which is safe because the caller has already written in this transaction
and so holds SQLite's write lock until it commits: no one else can insert in between.
"""

from contextlib import contextmanager

from sqlalchemy import Connection, Table

from ..models import search as search_index

TALLY_INSERT_TRIGGERS = ("copy_tally_ai", "book_subject_tally_ai")  # migration 0019_collection_tally
# migration 0022_book_document: a new book's rows mark its document stale; importer.finish marks them all at once
DOCUMENT_INSERT_TRIGGERS = ("book_document_book_ai", "book_document_ba_ai", "book_document_bs_ai",
                            "book_document_bi_ai")


def next_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """count fresh ids for table's integer primary key `id` (see the module's note on SQLite's write lock)."""
    if count <= 0:
        return []
    name = table.name
    if connection.dialect.name == "postgresql":
        return list(connection.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) FROM generate_series(1, {int(count)})").scalars())
    last = connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {name}").scalar()
    return list(range(last + 1, last + 1 + count))


def bound(connection: Connection, table: Table, column: str, value):
    """A value as the column's type binds it (timestamps: SQLite stores them as naive UTC text), for the rows of
    insert(); computed once per batch for a value every row shares."""
    processor = table.c[column].type.bind_processor(connection.dialect)
    return processor(value) if processor is not None else value


def insert(connection: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT rows (tuples in the order of columns, values already bound as bound() gives them) into table."""
    if not rows:
        return
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection  # psycopg, in the session's transaction
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


@contextmanager
def quiet_triggers(connection: Connection, first_book_id: int, last_book_id: int):
    """SQLite: the batch's rows without the row triggers whose work the import does once for them (the search
    index, paused anyway and built at the end; the merged-book redirects an id handed out again replaces, deleted
    here for the whole block of ids; the collection tally's on new copies and subject links, paused anyway: the
    importer counts the batch's copies in one statement; the stored documents', marked stale once by
    importer.finish). They are dropped inside the batch's transaction and
    created again, from their own stored SQL, before it commits: other connections never see them missing
    (SQLite's DDL is transactional, and the batch holds the write lock), and a crash rolls the drop back with the
    batch. Other triggers keep firing. PostgreSQL keeps its triggers (disabling one would lock the table for readers); the
    search index's and the documents' triggers return at once during the import (search_index.pause_sync)."""
    if connection.dialect.name != "sqlite" or last_book_id < first_book_id:  # (no new books: nothing fires)
        yield
        return
    names = [*search_index.SQLITE_TRIGGERS, "book_redirect_book_ai", *TALLY_INSERT_TRIGGERS, *DOCUMENT_INSERT_TRIGGERS]
    marks = ", ".join("?" * len(names))
    stored = connection.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})", tuple(names)).all()
    for name, _sql in stored:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    if any(name == "book_redirect_book_ai" for name, _sql in stored) and last_book_id >= first_book_id:
        connection.exec_driver_sql("DELETE FROM book_redirect WHERE id BETWEEN ? AND ?", (first_book_id, last_book_id))
    yield
    for _name, sql in stored:
        connection.exec_driver_sql(sql)
