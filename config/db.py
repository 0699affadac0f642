"""Database helpers that are not about any one app."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def without_jit() -> Iterator[None]:
    """Run the block's queries with PostgreSQL's JIT compiler off (one transaction, SET LOCAL).

    On the dashboard's aggregates over tens of thousands of rows the planner's cost estimate passes
    jit_above_cost, and compiling takes longer than running the query (measured: 7-day dashboard at
    100k orders, ~1,000 ms with JIT, ~500 ms without). Other backends: the block runs as is.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield
