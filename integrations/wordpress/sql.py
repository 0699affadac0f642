"""Small SQL building blocks shared by the WordPress readers: safe identifiers, error mapping, keyset batches.

Identifiers (table prefix, table and column names) cannot be query parameters, so they are validated
against a strict pattern before being quoted into SQL; every value goes through PyMySQL parameters.
"""

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pymysql

from integrations.errors import PermanentError, RetryableError

TABLE_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_]{0,32}$")
IDENTIFIER_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,64}$")  # MySQL's identifier limit is 64 characters
DEFAULT_BATCH_SIZE = 500
MYSQL_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Client-side (2xxx) codes are network trouble; 1205/1213 are lock timeouts and deadlocks.
RETRYABLE_SERVER_CODES = frozenset({1040, 1053, 1205, 1213})


def validate_table_prefix(prefix: str) -> str:
    """The prefix unchanged when it is 0-32 letters, digits or underscores; ValueError otherwise."""
    if not isinstance(prefix, str) or not TABLE_PREFIX_PATTERN.fullmatch(prefix):
        raise ValueError(f"invalid table prefix {prefix!r}: only letters, digits and _ (up to 32)")
    return prefix


def validate_identifier(name: str) -> str:
    """A table or column name unchanged when it is 1-64 letters, digits or underscores; ValueError otherwise."""
    if not isinstance(name, str) or not IDENTIFIER_PATTERN.fullmatch(name):
        raise ValueError(f"invalid SQL identifier {name!r}: only letters, digits and _ (1 to 64)")
    return name


def quoted_table(prefix: str, name: str) -> str:
    """The backquoted, validated ``<prefix><name>`` for use in SQL text."""
    return f"`{validate_table_prefix(prefix)}{validate_identifier(name)}`"


def placeholders(count: int) -> str:
    """``%s, %s, ...`` for an IN list of `count` values (count >= 1)."""
    return ", ".join(["%s"] * count)


FIXED_OFFSET = re.compile(r"^UTC([+-])(\d{2}):(\d{2})$")


def site_zone(name: str) -> tzinfo:
    """The zone of a site: an IANA name (``America/Sao_Paulo``), ``UTC`` or a fixed offset as WordPress'
    manual "UTC-4" setting gives it (``UTC-04:00``); ValueError when the name is unknown."""
    fixed = FIXED_OFFSET.match(name or "")
    if fixed:
        sign = -1 if fixed.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(fixed.group(2)), minutes=int(fixed.group(3))), name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def require_aware(value: datetime, label: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{label} must be a timezone-aware datetime")
    return value


def as_utc_text(value: datetime) -> str:
    """An aware datetime as the naive UTC ``Y-m-d H:i:s`` text WordPress stores in *_gmt columns."""
    return require_aware(value, "datetime").astimezone(UTC).strftime(MYSQL_DATETIME_FORMAT)


def as_local_text(value: datetime, zone: ZoneInfo) -> str:
    """An aware datetime as the site-local ``Y-m-d H:i:s`` text of columns written with current_time()."""
    return require_aware(value, "datetime").astimezone(zone).strftime(MYSQL_DATETIME_FORMAT)


def local_to_utc(value: object, zone: ZoneInfo) -> datetime | None:
    """A naive site-local datetime (or its text) as an aware UTC datetime; None for empty/zero dates."""
    naive = parse_mysql_datetime(value)
    return naive.replace(tzinfo=zone).astimezone(UTC) if naive else None


def utc_to_aware(value: object) -> datetime | None:
    """A naive UTC datetime (or its text) as an aware UTC datetime; None for empty/zero dates."""
    naive = parse_mysql_datetime(value)
    return naive.replace(tzinfo=UTC) if naive else None


def parse_mysql_datetime(value: object) -> datetime | None:
    """A naive datetime from a DATETIME value or ``Y-m-d H:i:s`` text; None for NULL, '' or 0000-00-00."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if not isinstance(value, str | bytes) or not value:
        return None
    text = value.decode() if isinstance(value, bytes) else value
    try:  # fromisoformat reads "Y-m-d H:i:s" in C, several times faster than strptime
        parsed = datetime.fromisoformat(text.strip()[:19])
    except ValueError:
        return None  # '0000-00-00 00:00:00' and junk both mean "no date"
    return parsed.replace(tzinfo=None)


def check_range(start: datetime, end: datetime) -> None:
    require_aware(start, "start")
    require_aware(end, "end")
    if end <= start:
        raise ValueError("end must be after start")


@contextmanager
def translated_errors(action: str) -> Iterator[None]:
    """Turn PyMySQL errors into RetryableError (network, locks) or PermanentError (SQL, schema, access).

    The message names the action and the MySQL error code, never credentials.
    """
    try:
        yield
    except pymysql.err.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        message = f"{action} failed (MySQL error {code}): {exc.args[1] if len(exc.args) > 1 else exc}"
        if code is not None and (2000 <= code < 3000 or code in RETRYABLE_SERVER_CODES):
            raise RetryableError(message) from exc
        raise PermanentError(message) from exc


def fetch_all(conn, sql: str, params: Sequence[object] = (), *, action: str) -> list[dict]:
    """All rows of a bounded query as dicts (callers keep queries bounded by LIMIT or IN lists)."""
    with translated_errors(action), conn.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def fetch_value(conn, sql: str, params: Sequence[object] = (), *, action: str) -> object:
    rows = fetch_all(conn, sql, params, action=action)
    return next(iter(rows[0].values())) if rows else None


def keyset_batches(conn, sql: str, params: Sequence[object], *, batch_size: int, action: str) -> Iterator[list[dict]]:
    """Batches of rows from `sql`, paged by the integer key column ``id`` of the result.

    `sql` must end with ``... AND <key> > %s ORDER BY <key> LIMIT %s`` and select the key as ``id``;
    `params` fill the placeholders before those two. Each batch is one short query, so no
    cursor stays open while the caller works (slow consumers cannot time out the server), and
    memory holds one batch only.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    last_id = -1
    while True:
        rows = fetch_all(conn, sql, (*params, last_id, batch_size), action=action)
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last_id = int(rows[-1]["id"])


def stream_rows(
    conn, sql: str, params: Sequence[object], *, batch_size: int, action: str, setup: Sequence[str] = ()
) -> Iterator[list[tuple]]:
    """Batches of `batch_size` rows (tuples, in the order of the select list: no dict per row) of one query
    read with an unbuffered cursor (SSCursor): the server sends rows as they are found and taken, with no
    round trip per batch, and memory holds one batch.

    `setup` statements (session settings) run first. Until the iterator is exhausted or closed the
    connection serves nothing else; closing it early reads the rest of the result away."""
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    with translated_errors(action):
        with conn.cursor() as cursor:
            for statement in setup:
                cursor.execute(statement)
        cursor = conn.cursor(pymysql.cursors.SSCursor)
        try:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(batch_size):
                yield rows
        finally:
            if getattr(conn, "open", True):  # a connection already closed (the import failed) has nothing to read
                cursor.close()


def existing_tables(conn, names: Sequence[str]) -> set[str]:
    """Which of the given full table names exist in the connection's current database."""
    if not names:
        return set()
    rows = fetch_all(
        conn,
        "SELECT table_name AS name FROM information_schema.tables "
        f"WHERE table_schema = DATABASE() AND table_name IN ({placeholders(len(names))})",
        tuple(names),
        action="list tables",
    )
    found = {row["name"] for row in rows}
    # information_schema may fold case (lower_case_table_names); compare case-insensitively.
    lowered = {name.lower() for name in found}
    return {name for name in names if name in found or name.lower() in lowered}
