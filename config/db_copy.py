"""Bulk writes (imports) through PostgreSQL COPY (psycopg 3), much cheaper than INSERT ... VALUES.

`copy_rows` copies new rows straight into a model's table; `copy_insert` copies them into a
temporary staging table and moves them with one set-based INSERT ... SELECT ... RETURNING, giving
back the new ids by a key column. Values are the instances' attributes as Python objects (psycopg
adapts str, int, Decimal, datetime, None): no per-field Django preparation. auto_now/auto_now_add
fields are stamped here. Other databases (a SQLite test run) fall back to bulk_create.
"""

from django.db import connection, transaction
from django.db.models import Model
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


def copy_rows(model: type[Model], objs: list[Model]) -> None:
    """Insert `objs` (new rows, no id) with one COPY. Their ids are not read back."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(objs)
        return
    fields = _fields(model)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for row in _values(objs, fields):
                copy.write_row(row)


def copy_insert(model: type[Model], objs: list[Model], key: str) -> None:
    """Insert `objs` (new rows) through a staging table: COPY, then one INSERT ... SELECT ... RETURNING
    (id, key); each instance gets its id (matched by its `key` attribute, unique within `objs`)."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(objs)
        return
    fields = _fields(model)
    table = model._meta.db_table
    stage = f"stage_{table}"
    columns = ", ".join(f'"{f.column}"' for f in fields)
    key_column = model._meta.get_field(key).column
    # One transaction: the staging table empties itself at commit (autocommit would empty it per statement).
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS AS '
            f'SELECT {columns} FROM "{table}" WITH NO DATA'
        )
        raw.execute(f'DELETE FROM "{stage}"')
        with raw.copy(f'COPY "{stage}" ({columns}) FROM STDIN') as copy:
            for row in _values(objs, fields):
                copy.write_row(row)
        raw.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{stage}" RETURNING id, "{key_column}"')
        ids = {found_key: found_id for found_id, found_key in raw.fetchall()}
        raw.execute(f'DELETE FROM "{stage}"')
    for obj in objs:
        obj.pk = ids[getattr(obj, key)]
        obj._state.adding = False


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
    with transaction.atomic(), connection.cursor() as cursor:  # see copy_insert
        raw = cursor.cursor
        raw.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS AS '
            f'SELECT {columns} FROM "{table}" WITH NO DATA'
        )
        raw.execute(f'DELETE FROM "{stage}"')
        with raw.copy(f'COPY "{stage}" ({columns}) FROM STDIN') as copy:
            for row in _values(objs, fields):
                copy.write_row(row)
        raw.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{stage}" ON CONFLICT DO NOTHING')
        raw.execute(f'DELETE FROM "{stage}"')
