"""The full-text search index and the suggestion vocabulary, per database.

SQLite: an FTS5 table `book_search` (rowid = book id) with one column per weight class, tokenised
with unicode61 and diacritics removed, ranked by bm25. PostgreSQL: a table `book_search` holding
one weighted tsvector per book (simple configuration over unaccent) with a GIN index, ranked by
ts_rank. On both, triggers keep the index in step with every insert, update and delete of a book,
its author links, its subject links and the names of authors and subjects.

`search_word` is the vocabulary for "did you mean": the distinct words of titles and author names,
insert-only (a word may outlive its last book; suggestions are checked to have results before they
are offered). PostgreSQL finds close words with pg_trgm; SQLite with an FTS5 trigram index over the
same words, scored in Python with pg_trgm's formula (services/search.py).

The bulk importer pauses the triggers for its own transactions (pause_sync) and builds the index
once at the end (rebuild_index); `flask --app library reindex` rebuilds it all.

The DDL below is what migration 0004 creates (0004 runs it). Migration 0008 replaced the refreshing triggers
(SQLite) and book_search_refresh (PostgreSQL) with copies that leave archived books out of the index
(book.archived_at, services/retire.py); rebuild_index, which 0004 also runs, indexes every book, so callers
after 0008 follow it with drop_archived.
"""

from sqlalchemy import Column, Connection, String, Table, text

from ..extensions import db

# The vocabulary is written with plain INSERTs (services/search.py); the table is created below.
search_word_table = Table("search_word", db.metadata, Column("word", String(100), primary_key=True))

# --- SQLite -----------------------------------------------------------------------------------------

# Weights for bm25, in column order: title (with subtitle), authors, subjects, other (publisher, ISBN), description.
SQLITE_WEIGHTS = (10.0, 8.0, 4.0, 2.0, 1.0)

_SQLITE_ROW = """
SELECT b.id,
       b.title || coalesce(' ' || b.subtitle, ''),
       coalesce((SELECT group_concat(a.name, ' ') FROM book_author ba JOIN author a ON a.id = ba.author_id
                 WHERE ba.book_id = b.id), ''),
       coalesce((SELECT group_concat(s.name, ' ') FROM book_subject bs JOIN subject s ON s.id = bs.subject_id
                 WHERE bs.book_id = b.id), ''),
       coalesce(b.publisher, '') || ' ' || coalesce(b.isbn, ''),
       coalesce(b.description, '')
FROM book b WHERE {where}"""


def _sqlite_refresh(ids_sql: str) -> str:
    return (f"DELETE FROM book_search WHERE rowid IN ({ids_sql}); "
            f"INSERT INTO book_search (rowid, title, authors, subjects, other, description) "
            f"{_SQLITE_ROW.format(where=f'b.id IN ({ids_sql})')};")


SQLITE_TABLES = [
    "CREATE VIRTUAL TABLE book_search USING fts5("
    "title, authors, subjects, other, description, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TABLE search_word (word VARCHAR(100) NOT NULL PRIMARY KEY)",
    "CREATE TABLE search_pause (id INTEGER PRIMARY KEY)",
    "CREATE VIRTUAL TABLE search_word_trgm USING fts5(word, tokenize = 'trigram')",
    "CREATE TRIGGER search_word_ai AFTER INSERT ON search_word BEGIN "
    "INSERT INTO search_word_trgm (rowid, word) VALUES (NEW.rowid, NEW.word); END",
]

SQLITE_TRIGGERS = {
    "book_search_book_ai": f"AFTER INSERT ON book BEGIN {_sqlite_refresh('NEW.id')} END",
    "book_search_book_au": "AFTER UPDATE OF title, subtitle, publisher, isbn, description ON book "
                           f"BEGIN {_sqlite_refresh('NEW.id')} END",
    "book_search_book_ad": "AFTER DELETE ON book BEGIN DELETE FROM book_search WHERE rowid = OLD.id; END",
    "book_search_ba_ai": f"AFTER INSERT ON book_author BEGIN {_sqlite_refresh('NEW.book_id')} END",
    "book_search_ba_au": f"AFTER UPDATE ON book_author BEGIN {_sqlite_refresh('OLD.book_id, NEW.book_id')} END",
    "book_search_ba_ad": f"AFTER DELETE ON book_author BEGIN {_sqlite_refresh('OLD.book_id')} END",
    "book_search_bs_ai": f"AFTER INSERT ON book_subject BEGIN {_sqlite_refresh('NEW.book_id')} END",
    "book_search_bs_au": f"AFTER UPDATE ON book_subject BEGIN {_sqlite_refresh('OLD.book_id, NEW.book_id')} END",
    "book_search_bs_ad": f"AFTER DELETE ON book_subject BEGIN {_sqlite_refresh('OLD.book_id')} END",
    "book_search_author_au": "AFTER UPDATE OF name ON author BEGIN "
                             f"{_sqlite_refresh('SELECT book_id FROM book_author WHERE author_id = NEW.id')} END",
    "book_search_subject_au": "AFTER UPDATE OF name ON subject BEGIN "
                              f"{_sqlite_refresh('SELECT book_id FROM book_subject WHERE subject_id = NEW.id')} END",
}

# --- PostgreSQL -------------------------------------------------------------------------------------

PG_TABLES = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # unaccent(text) is only STABLE (it reads a dictionary); pinning the dictionary makes it safe to
    # call from the index's functions.
    "CREATE FUNCTION library_unaccent(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, value) $$",
    "CREATE TABLE book_search ("
    " book_id integer PRIMARY KEY REFERENCES book (id) ON DELETE CASCADE,"
    " document tsvector NOT NULL)",
    "CREATE INDEX ix_book_search_document ON book_search USING gin (document)",
    """CREATE FUNCTION book_search_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
INSERT INTO book_search (book_id, document)
SELECT b.id,
       setweight(to_tsvector('simple', library_unaccent(b.title || ' ' || coalesce(b.subtitle, ''))), 'A')
    || setweight(to_tsvector('simple', library_unaccent(coalesce(
         (SELECT string_agg(a.name, ' ') FROM book_author ba JOIN author a ON a.id = ba.author_id
          WHERE ba.book_id = b.id), ''))), 'A')
    || setweight(to_tsvector('simple', library_unaccent(coalesce(
         (SELECT string_agg(s.name, ' ') FROM book_subject bs JOIN subject s ON s.id = bs.subject_id
          WHERE bs.book_id = b.id), ''))), 'B')
    || setweight(to_tsvector('simple', library_unaccent(coalesce(b.publisher, '') || ' ' || coalesce(b.isbn, ''))), 'C')
    || setweight(to_tsvector('simple', library_unaccent(coalesce(b.description, ''))), 'D')
FROM book b WHERE b.id = ANY (ids)
ON CONFLICT (book_id) DO UPDATE SET document = EXCLUDED.document
$$""",
    """CREATE FUNCTION book_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('library.bulk_load', true) = 'on' THEN RETURN NULL; END IF;  -- bulk_load builds it once
    IF TG_TABLE_NAME = 'book' THEN
        PERFORM book_search_refresh(ARRAY[NEW.id]);
    ELSIF TG_TABLE_NAME IN ('book_author', 'book_subject') THEN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM book_search_refresh(ARRAY[NEW.book_id]); END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN PERFORM book_search_refresh(ARRAY[OLD.book_id]); END IF;
    ELSIF TG_TABLE_NAME = 'author' THEN
        PERFORM book_search_refresh(ARRAY(SELECT book_id FROM book_author WHERE author_id = NEW.id));
    ELSIF TG_TABLE_NAME = 'subject' THEN
        PERFORM book_search_refresh(ARRAY(SELECT book_id FROM book_subject WHERE subject_id = NEW.id));
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TABLE search_word (word varchar(100) PRIMARY KEY)",
    "CREATE INDEX ix_search_word_trgm ON search_word USING gin (word gin_trgm_ops)",
]

PG_TRIGGERS = {
    "book_search_book": "AFTER INSERT OR UPDATE OF title, subtitle, publisher, isbn, description ON book",
    "book_search_book_author": "AFTER INSERT OR UPDATE OR DELETE ON book_author",
    "book_search_book_subject": "AFTER INSERT OR UPDATE OR DELETE ON book_subject",
    "book_search_author": "AFTER UPDATE OF name ON author",
    "book_search_subject": "AFTER UPDATE OF name ON subject",
}

# Deleting a book deletes its index row by the foreign key's cascade; the cascaded deletes of its
# author and subject links then refresh a book that no longer exists, which inserts nothing.


def create_triggers(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            event, action = body.split(" BEGIN ", 1)
            connection.exec_driver_sql(
                f"CREATE TRIGGER {name} {event} WHEN NOT EXISTS (SELECT 1 FROM search_pause) BEGIN {action}")
    else:
        for name, when in PG_TRIGGERS.items():
            connection.exec_driver_sql(f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION book_search_sync()")


def drop_triggers(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, when in PG_TRIGGERS.items():
            table = when.rsplit(" ON ", 1)[1]
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def create_search_objects(connection: Connection) -> None:
    for statement in SQLITE_TABLES if connection.dialect.name == "sqlite" else PG_TABLES:
        connection.exec_driver_sql(statement)
    create_triggers(connection)


def drop_search_objects(connection: Connection) -> None:
    drop_triggers(connection)
    if connection.dialect.name == "sqlite":
        for table in ("search_word_trgm", "search_word", "search_pause", "book_search"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    else:
        connection.exec_driver_sql("DROP TABLE IF EXISTS search_word, book_search")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS book_search_sync(), book_search_refresh(integer[]), "
                                   "library_unaccent(text)")


def rebuild_index(connection: Connection, after_id: int = 0) -> None:
    """(Re)index the books with id > after_id in one statement."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("DELETE FROM book_search WHERE rowid > :after"), {"after": after_id})
        connection.execute(
            text("INSERT INTO book_search (rowid, title, authors, subjects, other, description) "
                 + _SQLITE_ROW.format(where="b.id > :after")),
            {"after": after_id},
        )
    else:
        connection.execute(
            text("SELECT book_search_refresh(ARRAY(SELECT id FROM book WHERE id > :after))"), {"after": after_id}
        )


def drop_archived(connection: Connection) -> None:
    """Take archived books out of the index (after rebuild_index, which indexes every book)."""
    column = "rowid" if connection.dialect.name == "sqlite" else "book_id"
    connection.execute(text(f"DELETE FROM book_search WHERE {column} IN "
                            "(SELECT id FROM book WHERE archived_at IS NOT NULL)"))


def pause_sync(connection: Connection) -> None:
    """For the rest of this transaction only, this session's writes skip index upkeep (the bulk
    importer calls it per batch and then rebuild_index once). SQLite: a row in search_pause that the
    same transaction removes again (resume_sync) before it commits, so no other writer ever sees it;
    PostgreSQL: a transaction-local setting."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("INSERT INTO search_pause DEFAULT VALUES")
    else:
        connection.exec_driver_sql("SELECT set_config('library.bulk_load', 'on', true)")


def resume_sync(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DELETE FROM search_pause")
    else:
        connection.exec_driver_sql("SELECT set_config('library.bulk_load', 'off', true)")
