"""Automatic barcodes: the next copy barcode or card number, as the settings' prefix and a zero-padded number.

Each allocation increments the kind's counter in one UPDATE ... RETURNING, so two allocations never get the
same number: PostgreSQL holds the counter row's lock until the transaction ends, and on SQLite every write
transaction begins IMMEDIATE. A number whose code is already on a copy or a card (typed by hand, or from an
earlier prefix) is skipped. Numbers handed out but never saved are simply not used again (gaps are fine).
"""

from sqlalchemy import select, update

from ..errors import Conflict
from ..extensions import db
from ..models import BarcodeSequence, Copy, Member
from ..models.circulation import BARCODE_MAX
from . import settings

KINDS = {"copy": ("copy_barcode_prefix", Copy.barcode), "card": ("card_number_prefix", Member.card_number)}
MAX_SKIPS = 1000


def _take_number(kind: str) -> int:
    table = BarcodeSequence.__table__
    taken = db.session.execute(
        update(table).where(table.c.kind == kind).values(next_value=table.c.next_value + 1)
        .returning(table.c.next_value)
    ).scalar()
    if taken is None:  # a database made without migration 0008's rows: start the counter
        db.session.add(BarcodeSequence(kind=kind, next_value=1))
        db.session.flush()
        return _take_number(kind)
    return taken - 1


def allocate(kind: str) -> str:
    """The next unused code of this kind (the caller's transaction commits it, with the row that uses it)."""
    prefix_key, column = KINDS[kind]
    values = settings.current()
    prefix, digits = values[prefix_key], values["barcode_digits"]
    for _ in range(MAX_SKIPS):
        code = f"{prefix}{_take_number(kind):0{digits}d}"
        if len(code) > BARCODE_MAX:
            break
        if db.session.scalar(select(column).where(column == code)) is None:
            return code
    raise Conflict(f"No free {'barcode' if kind == 'copy' else 'card number'} with the prefix {prefix!r} near the "
                   "counter; an admin can set another prefix in the settings.")


def allocate_and_commit(kind: str) -> str:
    code = allocate(kind)
    db.session.commit()
    return code
