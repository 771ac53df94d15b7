"""The lean lane's hottest PostgreSQL reads through libpq itself (psycopg.pq), without psycopg's cursor (issue 12).

A page of twenty books is one statement (documents.page_sql), and on the response cache's own connection psycopg's
cursor around it (making the cursor, converting the query, its prepared-statement bookkeeping, a Python tuple and a
loader call for each of the ~170 values, closing) cost more of the app's CPU than libpq's own send and receive:
measured alone, 70 µs a page against 50 µs here, where only the values the page uses are read from the result
(bench/README.md, fifteenth round). The statements and their answers are the same; tests/test_fastpath.py holds
the lane byte-equal to the views, which read through SQLAlchemy.

Statements are run in binary (as documents.results asks of a cursor) and prepared on their second use, by a name
of their own, with at most PREPARED_MAX kept per connection (the least recently used is deallocated): what psycopg's
own prepare does, which this connection's other statements still use (its names are "_pg3_N"; these are "lib_").
Errors are psycopg's: a statement the server refuses raises its psycopg.errors class, a lost connection
psycopg.OperationalError, so library/cache.py's handling (close the connection, the next request reopens it) is
unchanged.

Only for a psycopg connection in autocommit, idle, used by one thread (the response cache's, under its lock).
"""

import hashlib
import struct
import weakref
from collections import OrderedDict

from psycopg import errors, pq

PREPARED_MAX = 100  # per connection, as psycopg's prepared_max
SEEN_MAX = 256  # statements remembered as run once (prepared when they come again)
_state: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # connection -> _Statements
_OK = pq.ExecStatus.TUPLES_OK
_COMMAND_OK = pq.ExecStatus.COMMAND_OK


class _Statements:
    """One connection's statements: the libpq text of each (placeholders as $n), and which are prepared."""

    __slots__ = ("prepared", "seen")

    def __init__(self):
        self.prepared: OrderedDict = OrderedDict()  # sql -> (its name, its libpq text)
        self.seen: OrderedDict = OrderedDict()  # sql -> its libpq text, run once, not prepared


def _libpq_text(sql: str) -> bytes:
    """psycopg's %s placeholders as libpq's $1, $2, ...; a literal % is written %% there, as for psycopg."""
    parts = sql.split("%s")
    if any("%" in part.replace("%%", "") for part in parts):
        raise ValueError("only %s placeholders are supported")
    text = parts[0].replace("%%", "%")
    for number, part in enumerate(parts[1:], 1):
        text += f"${number}" + part.replace("%%", "%")
    return text.encode()


def _param(value) -> bytes | None:
    """A parameter in text form, for the server to read as its placeholder's type: an int, a str, or a float
    (its shortest repr, which PostgreSQL reads back to the same double, as a cursor's score must be)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str, float)):
        raise TypeError(f"unsupported parameter type {type(value).__name__}")
    return repr(value).encode() if isinstance(value, float) else str(value).encode()


def _check(connection, result, status=_OK) -> "pq.PGresult":
    """result, when its status is status; else (the server refused the statement) its psycopg error, raised."""
    if result.status != status:
        try:
            raise errors.error_from_result(result, encoding=connection.info.encoding)
        finally:
            result.clear()
    return result


def execute(connection, sql: str, params=()) -> "pq.PGresult":
    """The result of sql (psycopg's placeholders) with params, its values in binary: the caller reads what it
    needs with get_value() and clear()s it."""
    statements = _state.get(connection)
    if statements is None:
        statements = _state[connection] = _Statements()
    pgconn = connection.pgconn
    values = [_param(value) for value in params]
    found = statements.prepared.get(sql)
    if found is not None:
        statements.prepared.move_to_end(sql)
        return _check(connection, pgconn.exec_prepared(found[0], values, result_format=1))
    text_ = statements.seen.pop(sql, None)
    if text_ is None:  # the first time: one round trip, planned for these values
        text_ = statements.seen[sql] = _libpq_text(sql)
        if len(statements.seen) > SEEN_MAX:
            statements.seen.popitem(last=False)
        return _check(connection, pgconn.exec_params(text_, values, result_format=1))
    if len(statements.prepared) >= PREPARED_MAX:
        _old, (old_name, _old_text) = statements.prepared.popitem(last=False)
        _check(connection, pgconn.exec_(b"DEALLOCATE " + old_name), _COMMAND_OK).clear()
    name = b"lib_" + hashlib.blake2b(text_, digest_size=12).hexdigest().encode()
    _check(connection, pgconn.prepare(name, text_), _COMMAND_OK).clear()
    statements.prepared[sql] = (name, text_)
    return _check(connection, pgconn.exec_prepared(name, values, result_format=1))


# --- the binary values the pages read ---------------------------------------------------------------------

def integer(value: bytes) -> int:
    """An int2, int4 or int8 in binary."""
    return int.from_bytes(value, "big", signed=True)


_FLOAT8 = struct.Struct("!d")
# Decoders by type OID, for the few values read one by one (a cursor's keys, the data version)
DECODERS = {16: lambda value: value != b"\x00", 20: integer, 21: integer, 23: integer, 25: bytes.decode,
            1043: bytes.decode, 701: lambda value: _FLOAT8.unpack(value)[0]}


def row(result, number: int, columns: range) -> tuple:
    """The values of these columns of row number, decoded by their types (None for NULL)."""
    values = []
    for column in columns:
        value = result.get_value(number, column)
        values.append(None if value is None else DECODERS[result.ftype(column)](value))
    return tuple(values)
