"""Bulk writes (imports) through PostgreSQL COPY (psycopg 3), much cheaper than INSERT ... VALUES.

`copy_tuples` copies new rows straight into a model's table; `copy_upsert` copies rows into a
temporary staging table and moves them with one set-based INSERT ... SELECT ... ON CONFLICT DO
UPDATE ... WHERE (a value changed); `copy_insert_ignoring_conflicts` does the same with DO NOTHING.
Values are Python objects (psycopg adapts str, int, Decimal, datetime, None): no per-field Django
preparation. auto_now/auto_now_add fields are stamped here. COPY runs in PostgreSQL's binary format
when every column has a type whose Python value psycopg writes in binary (`_binary_types`): about
half the client's work per row of the text format, and no number or date parsing on the server.
Other databases (SQLite, `make run` without DATABASE_URL) take the same SQL with the staging table
filled by executemany, or bulk_create.
"""

import weakref
from collections.abc import Collection

from django.db import connection, transaction
from django.db.models import BooleanField, CharField, Model, Q, TextField
from django.db.models.expressions import RawSQL
from django.utils import timezone


def _fields(model):
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _values(objs, fields) -> list[tuple]:
    now = timezone.now()
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    rows = []
    for obj in objs:
        for name in stamped:
            setattr(obj, name, now)
        rows.append(tuple(getattr(obj, field.attname) for field in fields))
    return rows


def copy_insert_ignoring_conflicts(model: type[Model], objs: list[Model]) -> None:
    """Insert `objs` through the staging table with ON CONFLICT DO NOTHING (rows another import just
    wrote are skipped, not an error). Ids are not read back."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(objs, ignore_conflicts=True)
        return
    fields = _fields(model)
    table = model._meta.db_table
    stage = f"stage_{table}"
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
    ):  # one transaction: the staging table empties itself at commit
        raw = cursor.cursor
        raw.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS AS '
            f'SELECT {columns} FROM "{table}" WITH NO DATA'
        )
        raw.execute(f'DELETE FROM "{stage}"')
        _copy_rows(raw, stage, table, [f.column for f in fields], _values(objs, fields))
        raw.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{stage}" ON CONFLICT DO NOTHING')
        raw.execute(f'DELETE FROM "{stage}"')


def copy_tuples(model: type[Model], columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert new rows given as tuples of `columns` (attnames) with one COPY; the other columns get their
    model defaults (auto_now/auto_now_add: now). No model instances; ids are not read back."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return
    rest, defaults = _defaults(model, columns)
    names = [_column(model, name) for name in (*columns, *rest)]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        _copy_rows(cursor.cursor, table, table, names, ((*row, *defaults) for row in rows) if defaults else rows)


def copy_upsert(
    model: type[Model],
    *,
    fixed: dict[str, object],
    columns: tuple[str, ...],
    rows: list[tuple],
    conflict: tuple[str, ...],
    conflict_where: str = "",
    key: str,
) -> dict[object, tuple[int, bool]]:
    """Insert or update `rows` (tuples of `columns`, attnames; `fixed` gives the values every row shares)
    through a staging table: COPY into it, then one INSERT ... SELECT ... ON CONFLICT (`conflict`
    [WHERE `conflict_where`, the unique index's predicate]) DO UPDATE ... WHERE a value changed.
    Columns not given get their model defaults on insert; auto_now columns are stamped on insert and
    on a real change only. Returns {`key` value: (id, inserted)} of the rows inserted or changed
    (unchanged rows are left alone and not returned; `inserted` is False for a changed row), so that a
    caller needs no lookup of the existing rows first. Runs in one transaction (the staging table
    empties at commit)."""
    if not rows:
        return {}
    table = model._meta.db_table
    stage = f"upsert_{table}"
    postgres = connection.vendor == "postgresql"
    names = [_column(model, name) for name in columns]
    rest, defaults = _defaults(model, (*fixed, *columns))
    stamped = [_column(model, f.attname) for f in _fields(model) if getattr(f, "auto_now", False)]
    quoted = ", ".join(f'"{name}"' for name in names)
    same = " IS NOT DISTINCT FROM " if postgres else " IS "
    updated = [name for name in names if name not in {_column(model, c) for c in conflict}]
    changed = " OR ".join(f'NOT ("{table}"."{name}"{same}EXCLUDED."{name}")' for name in updated)
    assignments = ", ".join(f'"{name}" = EXCLUDED."{name}"' for name in (*updated, *stamped))
    target = ", ".join(f'"{_column(model, name)}"' for name in conflict)
    insert_columns = ", ".join(f'"{_column(model, name)}"' for name in (*fixed, *columns, *rest))
    selected = ", ".join(["%s"] * len(fixed) + [f's."{name}"' for name in names] + ["%s"] * len(rest))
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            # Left empty by every use (the DELETE below, or the rollback of a failed one): no DELETE first.
            _create_stage_once(
                cursor,
                stage,
                f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS AS '
                f'SELECT {quoted} FROM "{table}" WITH NO DATA',
            )
            _copy_rows(cursor.cursor, stage, table, names, rows)
        else:
            cursor.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" AS SELECT {quoted} FROM "{table}" WHERE 0')
            cursor.execute(f'DELETE FROM "{stage}"')
            fields = [model._meta.get_field(name) for name in _attnames(model, columns)]
            prepared = [
                tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)) for row in rows
            ]
            cursor.executemany(f'INSERT INTO "{stage}" ({quoted}) VALUES ({", ".join(["%s"] * len(names))})', prepared)
        fixed_values = [model._meta.get_field(name).get_db_prep_save(v, connection) for name, v in fixed.items()]
        key_column = _column(model, key)
        if postgres:
            inserted = "(xmax = 0)"  # a row this statement inserted has no deleting/locking transaction yet
        else:  # SQLite: the staged keys that already have a row, read before the insert
            same_row = " AND ".join(
                f't."{_column(model, name)}" = ' + ("%s" if name in fixed else f's."{_column(model, name)}"')
                for name in conflict
            )
            cursor.execute(
                f'SELECT s."{key_column}" FROM "{stage}" s WHERE EXISTS (SELECT 1 FROM "{table}" t WHERE {same_row}'
                f"{f' AND {conflict_where}' if conflict_where else ''})",
                [dict(zip(fixed, fixed_values, strict=True))[name] for name in conflict if name in fixed],
            )
            before = {found_key for (found_key,) in cursor.fetchall()}
            inserted = "true"
        cursor.execute(
            f'INSERT INTO "{table}" ({insert_columns}) SELECT {selected} FROM "{stage}" s WHERE true '
            f"ON CONFLICT ({target}){f' WHERE {conflict_where}' if conflict_where else ''} "
            f'DO UPDATE SET {assignments} WHERE {changed} RETURNING "id", "{key_column}", {inserted}',
            [*fixed_values, *defaults],
        )
        written = {found_key: (found_id, bool(new)) for found_id, found_key, new in cursor.fetchall()}
        if not postgres:
            written = {found_key: (found_id, found_key not in before) for found_key, (found_id, _) in written.items()}
        cursor.execute(f'DELETE FROM "{stage}"')
    return written


def _copy_rows(raw_cursor, target: str, table: str, columns: list[str], rows) -> None:
    """COPY `rows` (tuples of `columns`) into `target`, a table or a staging copy of `table`: in binary
    when every column's type allows it, in text otherwise."""
    quoted = ", ".join(f'"{name}"' for name in columns)
    types = _binary_types(raw_cursor, table, tuple(columns))
    with raw_cursor.copy(f'COPY "{target}" ({quoted}) FROM STDIN{" (FORMAT BINARY)" if types else ""}') as copy:
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


# Types whose binary form psycopg writes from the Python values Django gives them (int, Decimal, str,
# aware datetime, date, bool, UUID). Others (json, arrays, intervals...) keep the text format.
BINARY_COPY_TYPES = frozenset(
    {"int2", "int4", "int8", "numeric", "varchar", "text", "timestamptz", "date", "bool", "uuid"}
)
_TYPES: dict[tuple[str, tuple[str, ...]], list[int] | None] = {}


def _binary_types(raw_cursor, table: str, columns: tuple[str, ...]) -> list[int] | None:
    """The type oids of `table`'s `columns` in their order when all are in BINARY_COPY_TYPES, else None.
    Read once per process (a staging table copies its source table's types)."""
    key = (table, columns)
    if key not in _TYPES:
        raw_cursor.execute(
            "SELECT a.attname, t.oid, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
            " WHERE a.attrelid = %s::regclass AND a.attname = ANY(%s)",
            [f'"{table}"', list(columns)],
        )
        found = {name: (oid, type_name) for name, oid, type_name in raw_cursor.fetchall()}
        known = all(found.get(name, (0, ""))[1] in BINARY_COPY_TYPES for name in columns)
        _TYPES[key] = [found[name][0] for name in columns] if known else None
    return _TYPES[key]


def _create_stage_once(cursor, stage: str, create: str) -> None:
    """Run `create` (a CREATE TEMP TABLE IF NOT EXISTS) once per database session rather than once per
    batch: remembered only once a commit has kept the table (a rollback would drop it again). Behind a
    transaction-mode pooler (DISABLE_SERVER_SIDE_CURSORS, docs/operations.md) each transaction may get
    another server session, so the statement runs every time."""
    session = cursor.cursor.connection
    if stage in _STAGES.get(session, ()):
        return
    cursor.execute(create)
    if not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        transaction.on_commit(lambda: _STAGES.setdefault(session, set()).add(stage))


_STAGES: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()  # per psycopg connection


def _column(model: type[Model], attname: str) -> str:
    for field in _fields(model):
        if attname in (field.attname, field.name):
            return field.column
    raise ValueError(f"{model.__name__} has no column {attname!r}")


def _attnames(model: type[Model], names) -> list[str]:
    by_name = {f.attname: f.name for f in _fields(model)} | {f.name: f.name for f in _fields(model)}
    return [by_name[name] for name in names]


def _defaults(model: type[Model], given) -> tuple[list[str], list[object]]:
    """The columns not in `given` (attnames or names) and their database values, shared by every new row
    (so a unique column with a generated default, e.g. a UUID, must be given)."""
    given = set(given)
    now = timezone.now()
    rest, values = [], []
    for field in _fields(model):
        if field.attname in given or field.name in given:
            continue
        if field.unique and callable(field.default):
            raise ValueError(f"{model.__name__}.{field.name} is unique with a generated default: give its values")
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        rest.append(field.attname)
        values.append(field.get_db_prep_save(now if stamped else field.get_default(), connection))
    return rest, values


def among(model: type[Model], name: str, values: Collection) -> Q | RawSQL:
    """A filter "`name` is one of `values`" for batches of thousands: one array parameter on PostgreSQL
    (`= ANY(%s)`: no per-value preparation, quoting or planning), Django's `__in` elsewhere."""
    if connection.vendor != "postgresql":
        return Q(**{f"{name}__in": values})
    field = model._meta.get_field(name)
    # The array goes as one text literal: psycopg's list dumper works element by element in Python.
    element = "text" if isinstance(field, CharField | TextField) else field.db_type(connection)
    return RawSQL(
        f'"{model._meta.db_table}"."{field.column}" = ANY(%s::{element}[])',
        (_array_literal(values),),
        output_field=BooleanField(),
    )


def _array_literal(values: Collection) -> str:
    """PostgreSQL's text form of an array: every element double-quoted, backslashes and quotes escaped."""
    quoted = (str(value).replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return "{" + ",".join(f'"{text}"' for text in quoted) + "}"
