"""What a sweep costs: its statements, and how PostgreSQL executes the claims (SELECT ... FOR UPDATE).

`sweep_run(run)` runs a sweep in a savepoint that is rolled back, so the rows stay due, and returns
the SQL it sent. `claim_scans(sql)` is EXPLAIN ANALYZE of each claim: per table the scan node, the
index it used and the rows it read (returned plus removed by a filter). A table of one page is
scanned sequentially whatever its indexes (cheaper than an index lookup), so the small cases are
planned with `seqscan=False`: the plan then shows whether the query can avoid reading the whole
table at any size. The tests assert that (no Seq Scan) and how many rows were read
(`assert_reads_only_due_rows`), not which kind of index scan the planner picks: an Index Scan or a
Bitmap Heap Scan, as its statistics decide.
"""

import json
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

_LITERALS = re.compile(r"'[^']*'(::\w+)?|\b\d+\b|\"s\d+_x\d+\"")  # values, ids, savepoint names


@dataclass(frozen=True)
class Scan:
    table: str
    node: str  # "Index Scan", "Seq Scan", ...
    index: str | None
    rows_read: int  # rows the scan produced plus rows it read and threw away


def sweep_run(run) -> list[str]:
    """The SQL `run()` sends; every change it makes is rolled back."""
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        run()
        transaction.set_rollback(True)
    return [query["sql"] for query in captured.captured_queries]


def statement_shapes(statements: list[str]) -> list[str]:
    """The statements with their literals (ids, timestamps) blanked: what is asked, not with which values."""
    return [_LITERALS.sub("?", sql) for sql in statements]


def claims(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith("SELECT") and "FOR UPDATE" in sql]


def claim_scans(sql: str, *, seqscan: bool = True) -> list[Scan]:
    with connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return _scans(plan[0]["Plan"], [])


def assert_reads_only_due_rows(claim_plans: list[list[Scan]], table: str, due: list[int]) -> None:
    """The i-th claim that reads `table` reads it without a sequential scan, and at most due[i] of its rows."""
    reads = [[scan for scan in scans if scan.table == table] for scans in claim_plans]
    reads = [scans for scans in reads if scans]
    assert len(reads) == len(due), f"{len(reads)} claims read {table}, {len(due)} expected: {claim_plans}"
    for scans, rows_due in zip(reads, due, strict=True):
        nodes = [scan.node for scan in scans]
        assert "Seq Scan" not in nodes, f"{table} read by {nodes}"
        rows_read = sum(scan.rows_read for scan in scans)
        assert rows_read <= rows_due, f"{rows_read} rows of {table} read, {rows_due} due: {scans}"


def analyze(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def _scans(node: dict, found: list[Scan]) -> list[Scan]:
    if "Relation Name" in node:
        read = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        read += node.get("Rows Removed by Index Recheck", 0)
        found.append(
            Scan(node["Relation Name"], node["Node Type"], node.get("Index Name"), read * node["Actual Loops"])
        )
    for child in node.get("Plans", []):
        _scans(child, found)
    return found
