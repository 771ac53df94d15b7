"""Full-text search: the query language, matching and relevance on both databases, "did you mean"
suggestions, and the suggestion vocabulary's upkeep.

The q language, parsed once here so SQLite and PostgreSQL agree on it:
  words            every word must match (case- and accent-insensitive, no stemming)
  "a phrase"       the words adjacent and in order
  -word -"phrase"  excluded
  the last word    a prefix too, unless q ends in whitespace, so results follow the typing
Anything else (operators, brackets, stars, colons, an unbalanced quote) is plain text: only the
letters and digits in it are searched for.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA
from sqlalchemy import (Float, Integer, bindparam, case, cast, event, func, inspect, literal_column, select, text,
                        update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..extensions import db
from ..schemas.common import has_lone_surrogate
from ..models import Author, Book
from ..models.search import SQLITE_WEIGHTS, search_word_table

TOKEN = re.compile(r"[^\W_]+")
CLAUSE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD_MIN, WORD_MAX = 3, 40
STREAM_WINDOW = 4_000  # rows of book_search a PostgreSQL tier stream first looks at (Match._window)


def has_bad_chars(value: str) -> bool:
    """What the databases cannot store or compare: NUL and lone surrogates."""
    return "\x00" in value or has_lone_surrogate(value)


def normalize(value: str) -> str:
    """Lower case without diacritics, as both indexes see words."""
    if value.isascii():  # nothing to decompose (the bulk importer's common case)
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def tokens(value: str) -> list[str]:
    return TOKEN.findall(normalize(value))


@dataclass
class Clause:
    text: str              # what the user typed for it, without quotes or minus
    phrase: bool = False
    negated: bool = False
    prefix: bool = False

    @property
    def tokens(self) -> list[str]:
        return tokens(self.text)

    def render(self, text_: str | None = None) -> str:
        body = text_ if text_ is not None else self.text
        body = f'"{body}"' if self.phrase else body
        return f"-{body}" if self.negated else body


@dataclass
class Parsed:
    clauses: list[Clause] = field(default_factory=list)

    @property
    def positive(self) -> list[Clause]:
        return [c for c in self.clauses if not c.negated]

    @property
    def negative(self) -> list[Clause]:
        return [c for c in self.clauses if c.negated]

    def __bool__(self) -> bool:
        return bool(self.clauses)

    def plain(self) -> str:
        """The searched words as one string, for the exact-title bonus."""
        return " ".join(t for c in self.positive for t in c.tokens)


def parse(q: str | None) -> Parsed:
    parsed = Parsed()
    if not q:
        return parsed
    for match in CLAUSE.finditer(q):
        minus, quoted, bare = match.groups()
        if bare is not None:
            negated = bare.startswith("-")
            clause = Clause(bare.lstrip("-"), negated=negated)
        else:
            clause = Clause(quoted, phrase=True, negated=bool(minus))
        if clause.tokens:
            parsed.clauses.append(clause)
    last = parsed.clauses[-1] if parsed.clauses else None
    if last and not last.phrase and not last.negated and not q[-1].isspace() and not q.rstrip().endswith('"'):
        last.prefix = True
    return parsed


# --- matching ---------------------------------------------------------------------------------------

def _fts5_string(clause: Clause) -> str:
    """An FTS5 string: the tokens as one quoted phrase (FTS5 tokenises it like the index did)."""
    quoted = '"' + " ".join(clause.tokens) + '"'
    return quoted + " *" if clause.prefix else quoted


def _fts5_query(clauses: list[Clause]) -> str:
    return " AND ".join(_fts5_string(c) for c in clauses)


def _websearch_string(clause: Clause) -> str:
    """websearch_to_tsquery input for one clause: its tokens quoted, so 'or' and '-' inside are words."""
    body = '"' + " ".join(clause.tokens) + '"'
    return f"-{body}" if clause.negated else body


def _pg_tsquery_parts(parsed: Parsed) -> list[tuple[str, str]]:
    """The tsquery of q as (function, text) parts joined by &&: websearch_to_tsquery of the clauses that are not
    prefixes, then to_tsquery of each prefix clause."""
    plain = [c for c in parsed.clauses if not c.prefix]
    parts = []
    if plain:
        parts.append(("websearch_to_tsquery", " ".join(_websearch_string(c) for c in plain)))
    for clause in parsed.clauses:
        if clause.prefix:
            *whole, stem = clause.tokens
            lexemes = [f"'{t}'" for t in whole] + [f"'{stem}':*"]
            parts.append(("to_tsquery", " <-> ".join(lexemes)))
    return parts


def _pg_title_text(parsed: Parsed) -> str:
    """to_tsquery text of the positive clauses restricted to weight A (title, subtitle, authors)."""
    clauses = []
    for clause in parsed.positive:
        lexemes = [f"'{t}':A" for t in clause.tokens]
        if clause.prefix:
            lexemes[-1] = lexemes[-1][:-2] + ":*A"
        clauses.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(clauses)


def _pg_tsquery(parsed: Parsed):
    simple = literal_column("'simple'::regconfig")
    parts = [getattr(func, name)(simple, func.library_unaccent(value)) for name, value in _pg_tsquery_parts(parsed)]
    query = parts[0]
    for part in parts[1:]:
        query = query.op("&&")(part)
    return query


def _pg_title_tsquery(parsed: Parsed):
    return func.to_tsquery(literal_column("'simple'::regconfig"), func.library_unaccent(_pg_title_text(parsed)))


def pg_strings(parsed: Parsed, quote) -> tuple[str, str] | None:
    """PostgreSQL: (the tsquery of the whole q, that of its positive clauses in title and authors only) as SQL
    expressions, the texts in them written by quote (a string literal); None when q has no positive clause."""
    if not parsed.positive:
        return None
    query = None
    for name, value in _pg_tsquery_parts(parsed):
        part = f"{name}('simple'::regconfig, library_unaccent({quote(value)}))"
        query = part if query is None else f"({query} && {part})"
    return query, f"to_tsquery('simple'::regconfig, library_unaccent({quote(_pg_title_text(parsed))}))"


@dataclass
class Match:
    """The books matching a parsed q: `ids` selects their ids (column id); ranked() adds a score."""

    parsed: Parsed
    ids: object
    _source: tuple  # (id column, exact score, title-or-authors condition or None)
    _streams: list | None = None  # tiers 1 and 2 as id SELECTs, for tiered_page
    _windows: list | None = None  # PostgreSQL: tiers 1 and 2 as conditions on book_search, for _window

    def tiered_page(self, after: tuple | None, size: int) -> list[tuple[float, int]]:
        """The first `size` (tier, id) of the tiered order after `after`, taking each tier from the search
        index in id order and stopping as soon as the page is full: no match is scored or sorted.
        None when this match has no tiers to stream (then rank with ranked(tiered=True))."""
        if self._streams is None:
            return None
        plain = self.parsed.plain()
        exact_ids = select(Book.id).where(Book.title_key == plain)
        main = self.ids.subquery("main")
        tiers = [(0.0, select(main.c.id).where(main.c.id.in_(exact_ids)))] + [
            (float(tier), select(stream.subquery("tier").c.id)) for tier, stream in enumerate(self._streams, 1)]
        rows = []
        for tier, query in tiers:
            column = query.selected_columns[0]
            if tier:
                query = query.where(column.not_in(exact_ids))
            if after is not None:
                if tier < after[0]:
                    continue
                if tier == after[0]:
                    query = query.where(column > after[1])
            found = None
            if tier and self._windows is not None:
                start = after[1] if after is not None and tier == after[0] else 0
                found = self._window(self._windows[int(tier) - 1], start, exact_ids, size - len(rows))
            if found is None:
                found = db.session.scalars(query.order_by(column).limit(size - len(rows))).all()
            rows += [(tier, book_id) for book_id in found]
            if len(rows) >= size:
                break
        return rows

    @staticmethod
    def _window(condition, start: int, exact_ids, size: int) -> list[int] | None:
        """PostgreSQL: the first `size` ids after `start` that meet condition, looked for among the next
        STREAM_WINDOW rows of book_search in id order; None when fewer are there. A stream of a common word
        is found this way in a few hundred rows, where the bitmap scan of the whole stream reads the heap
        of every match (GIN has no weights, so each title-or-authors match is rechecked on its row)."""
        book_id = literal_column("book_search.book_id", Integer)
        found = db.session.scalars(select(book_id).select_from(_pg_window(start, STREAM_WINDOW))
                                   .where(condition, book_id.not_in(exact_ids)).order_by(book_id).limit(size)).all()
        return found if len(found) == size else None

    def sample(self, size: int, planned_min: int) -> tuple[int, int] | None:
        """PostgreSQL: (matches, last id) among the first `size` rows of book_search in id order, for an
        estimate of a large total without reading every match. Taken only when the planner expects at
        least planned_min matches (EXPLAIN, as the PostgreSQL wiki's count estimate does: a fraction of a
        millisecond), so a rare word does not pay for it; else None, as where this match cannot tell."""
        if self._windows is None:
            return None
        compiled = select(literal_column("1")).select_from(text("book_search")).where(
            self.ids.whereclause).compile(db.engine)
        plan = db.session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
        if plan[0]["Plan"]["Plan Rows"] < planned_min:
            return None
        book_id = literal_column("book_search.book_id", Integer)
        return tuple(db.session.execute(select(func.count().filter(self.ids.whereclause), func.max(book_id))
                                        .select_from(_pg_window(0, size))).one())

    def ranked(self, tiered: bool):
        """A subquery (id, score), lower score = more relevant, an exact title first.

        Exact: bm25 (SQLite) or ts_rank (PostgreSQL) with the column weights. Tiered, for large result
        sets where scoring every match would cost too much: exact title, then the books whose title or
        authors hold every word, then the rest; the caller breaks ties by id. Both need only the index,
        never the book rows."""
        id_column, exact_score, title_match = self._source
        plain = self.parsed.plain()
        exact = id_column.in_(select(Book.id).where(Book.title_key == plain)) if plain else None
        if tiered:
            whens = ([(exact, 0.0)] if exact is not None else []) + (
                [(title_match, 1.0)] if title_match is not None else [])
            score = case(*whens, else_=2.0) if whens else cast(2.0, Float)
        else:
            score = exact_score if exact is None else exact_score - case((exact, 1000.0), else_=0.0)
        query = self.ids.with_only_columns(id_column.label("id"), cast(score, Float).label("score"))
        return query.subquery("ranked")


def _pg_window(start: int, size: int):
    """The next `size` rows of book_search after book id `start`, in id order (a primary key range scan), as a
    subquery named book_search, so that conditions written for the table apply to it unchanged."""
    book_id, document = literal_column("book_search.book_id", Integer), literal_column("book_search.document")
    return (select(book_id.label("book_id"), document.label("document")).select_from(text("book_search"))
            .where(book_id > start).order_by(book_id).limit(size).subquery("book_search"))


def sqlite_strings(parsed: Parsed) -> tuple[str, str, str] | None:
    """SQLite: (the FTS5 query of the whole q, that of its positive clauses in title and authors only, the plain
    words for the exact-title bonus); None when q has no positive clause."""
    positive, negative = parsed.positive, parsed.negative
    if not positive:
        return None
    query = _fts5_query(positive)
    if negative:
        query = f"({query}) NOT ({' OR '.join(_fts5_string(c) for c in negative)})"
    return query, "{title authors} : (" + _fts5_query(positive) + ")", parsed.plain()


def matches(parsed: Parsed) -> Match:
    if db.engine.dialect.name == "sqlite":
        fts = literal_column("book_search")
        rowid = literal_column("book_search.rowid", Integer)
        strings = sqlite_strings(parsed)
        if strings is not None:
            query, title_query, _plain = strings
            ids = select(rowid.label("id")).select_from(text("book_search")).where(fts.op("MATCH")(query))
            title_only = select(literal_column("rowid")).select_from(text("book_search")).where(
                fts.op("MATCH")(title_query))
            source = (rowid, func.bm25(fts, *SQLITE_WEIGHTS, type_=Float), rowid.in_(title_only))
            streams = _sqlite_streams(query, title_query)
        else:
            negative = parsed.negative
            excluded = select(rowid).select_from(text("book_search")).where(
                fts.op("MATCH")(" OR ".join(_fts5_string(c) for c in negative)))
            ids = select(Book.id.label("id")).where(Book.id.not_in(excluded))
            source = (Book.id, cast(0.0, Float), None)
            streams = None
    else:
        document = literal_column("book_search.document")
        book_id = literal_column("book_search.book_id", Integer)
        tsquery = _pg_tsquery(parsed)
        ids = select(book_id.label("id")).select_from(text("book_search")).where(document.op("@@")(tsquery))
        title_match = document.op("@@")(_pg_title_tsquery(parsed)) if parsed.positive else None
        source = (book_id, -cast(func.ts_rank(document, tsquery), Float), title_match)
        streams = windows = None
        if title_match is not None:
            windows = [document.op("@@")(q) for q in (tsquery.op("&&")(_pg_title_tsquery(parsed)),
                                                       tsquery.op("&&")(func.tsquery_not(_pg_title_tsquery(parsed))))]
            streams = [select(book_id.label("id")).select_from(text("book_search")).where(condition)
                       for condition in windows]
        return Match(parsed, ids, source, streams, windows)
    return Match(parsed, ids, source, streams)


def _sqlite_streams(query: str, title_query: str):
    fts = literal_column("book_search")
    rowid = literal_column("book_search.rowid", Integer)
    return [select(rowid.label("id")).select_from(text("book_search")).where(fts.op("MATCH")(expression))
            for expression in (f"({title_query}) AND ({query})", f"({query}) NOT ({title_query})")]


# --- the suggestion vocabulary ---------------------------------------------------------------------

def words_of(*texts: str | None) -> set[str]:
    return {t for value in texts if value for t in tokens(value)
            if WORD_MIN <= len(t) <= WORD_MAX and not t.isdigit()}


def add_words(connection, words: set[str]) -> None:
    if not words:
        return
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    connection.execute(dialect.insert(search_word_table).on_conflict_do_nothing(),
                       [{"word": w} for w in sorted(words)])


def title_key(title: str | None) -> str | None:
    return " ".join(tokens(title))[:500] if title else None


@event.listens_for(Session, "before_flush")
def _collect_words(session, _context, _instances):
    """New titles and author names join the vocabulary in the same transaction; titles get their key."""
    words = set()
    for obj in session.new:
        if isinstance(obj, Book):
            words |= words_of(obj.title, obj.subtitle)
            obj.title_key = title_key(obj.title)
        elif isinstance(obj, Author):
            words |= words_of(obj.name)
    for obj in session.dirty:  # only when the words changed, not on every other edit
        state = inspect(obj)
        if isinstance(obj, Book) and (state.attrs.title.history.has_changes()
                                      or state.attrs.subtitle.history.has_changes()):
            words |= words_of(obj.title, obj.subtitle)
            obj.title_key = title_key(obj.title)
        elif isinstance(obj, Author) and state.attrs.name.history.has_changes():
            words |= words_of(obj.name)
    if words:
        add_words(session.connection(), words)


def rebuild_words(connection, after_id: int = 0, chunk: int = 20_000, title_keys: bool = False) -> None:
    """Vocabulary from the titles of books with id > after_id, and from all author names; with title_keys,
    also each book's title_key where it no longer matches its title (a title changed by SQL, a restore)."""
    book = Book.__table__
    last = after_id
    while True:
        # (migration 0004 calls this before 0005 adds title_key)
        key_column = book.c.title_key if title_keys else literal_column("NULL")
        rows = connection.execute(select(book.c.id, book.c.title, book.c.subtitle, key_column)
                                  .where(book.c.id > last).order_by(book.c.id).limit(chunk)).all()
        if not rows:
            break
        add_words(connection, words_of(*(t for _, title, sub, _key in rows for t in (title, sub))))
        stale = [{"book_id": i, "key": title_key(title)} for i, title, _sub, key in rows
                 if title_keys and key != title_key(title)]
        if stale:
            connection.execute(update(book).where(book.c.id == bindparam("book_id"))  # not a change of the book:
                               .values(title_key=bindparam("key"), updated_at=book.c.updated_at), stale)
        last = rows[-1][0]
    names = connection.execute(select(Author.name)).scalars().all()
    add_words(connection, words_of(*names))


# --- did you mean ----------------------------------------------------------------------------------

def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two padded words."""
    ta, tb = _trigrams(a), _trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta or tb else 0.0


def _known(word: str, prefix: bool) -> bool:
    # Words are letters and digits only, so they are safe in a LIKE pattern.
    if prefix:
        return db.session.scalar(select(search_word_table.c.word).where(
            search_word_table.c.word.like(word + "%")).limit(1)) is not None
    return db.session.scalar(select(search_word_table.c.word).where(search_word_table.c.word == word)) is not None


def _candidates(word: str) -> set[str]:
    table = search_word_table
    found = set()
    if db.engine.dialect.name == "postgresql":
        found |= set(db.session.scalars(
            select(table.c.word).where(table.c.word.op("%")(bindparam("w", word)))
            .order_by(func.similarity(table.c.word, word).desc()).limit(50)))
    elif len(word) >= 3:
        grams = sorted({word[i:i + 3] for i in range(len(word) - 2)})
        expression = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
        found |= set(db.session.scalars(
            text("SELECT word FROM search_word_trgm WHERE search_word_trgm MATCH :q ORDER BY rank LIMIT 200"),
            {"q": expression}))
    # Trigrams miss transpositions in short words (dnue / dune share one trigram): words with the
    # same first letter and a similar length are scored too.
    found |= set(db.session.scalars(
        select(table.c.word).where(table.c.word.like(word[0] + "%"),
                                   func.length(table.c.word).between(len(word) - 1, len(word) + 1)).limit(5000)))
    return found


def close_words(word: str, limit: int = 3) -> list[str]:
    scored = []
    for candidate in _candidates(word):
        if candidate == word:
            continue
        similarity = trigram_similarity(word, candidate)
        distance = OSA.distance(word, candidate)
        if similarity >= 0.3 or distance <= max(1, len(word) // 4):
            scored.append((distance, -similarity, candidate))
    return [c for *_, c in sorted(scored)[:limit]]


def suggest(q: str, parsed: Parsed, has_results, limit: int = 3) -> list[str]:
    """Whole corrected queries, each checked with has_results(q) -> bool."""
    options = []
    for clause in parsed.clauses:
        if clause.negated or clause.phrase or len(clause.tokens) != 1:
            options.append([None])
            continue
        word = clause.tokens[0]
        if len(word) < 3 or word.isdigit() or _known(word, clause.prefix):
            options.append([None])
            continue
        options.append(close_words(word) or [None])
    if all(o == [None] for o in options):
        return []
    combos = [[]]
    for choices in options:
        combos = [c + [w] for c in combos for w in choices][:12]
    results = []
    for combo in combos:
        corrected = " ".join(clause.render(word) for clause, word in zip(parsed.clauses, combo))
        if corrected.casefold() != q.strip().casefold() and corrected not in results and has_results(corrected):
            results.append(corrected)
        if len(results) >= limit:
            break
    return results
