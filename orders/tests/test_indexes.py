"""Every index of the tables an import fills in bulk earns its cost: each one is written on every insert."""

import pytest
from django.db import connection

# Tables a WooCommerce import writes 100k rows into at a time (leads/services/woo_imports.py).
BULK_WRITTEN = ("orders_order", "orders_orderitem")


def _plain_indexes(table: str) -> list[tuple[str, list[str], str]]:
    """(name, columns, predicate) of the table's non-unique indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname,
                   ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n),
                   COALESCE(pg_get_expr(i.indpred, i.indrelid), '')
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass AND NOT i.indisunique
            """,
            [table],
        )
        return [(name, list(columns), predicate) for name, columns, predicate in cursor.fetchall()]


@pytest.mark.django_db
@pytest.mark.parametrize("table", BULK_WRITTEN)
def test_no_index_is_the_leading_part_of_another_with_the_same_predicate(table, postgres_only):
    """An index on (a) beside one on (a, b) answers nothing the second cannot (the FK's own index on
    company_id beside (company_id, ...) composites was one)."""
    indexes = _plain_indexes(table)
    covered = [
        (name, other)
        for name, columns, predicate in indexes
        for other, other_columns, other_predicate in indexes
        if other != name and predicate == other_predicate and other_columns[: len(columns)] == columns
    ]
    assert covered == []


@pytest.mark.django_db
def test_foreign_keys_that_imports_leave_empty_are_indexed_only_where_set(postgres_only):
    """Imported orders have no delivery zone and their items no catalog product: a full index on
    those columns would take one entry per imported row and serve only the rows that have one."""
    partial = {
        (table, tuple(columns)): predicate
        for table in BULK_WRITTEN
        for _name, columns, predicate in _plain_indexes(table)
    }
    assert "IS NOT NULL" in partial[("orders_order", ("delivery_zone_id",))]
    assert "IS NOT NULL" in partial[("orders_orderitem", ("product_id",))]
