"""Run work at the same instant in several threads, each with its own database connection."""

import threading
from collections.abc import Callable, Iterable

from django.db import connection


def race(work: Callable, args: Iterable) -> list:
    """`work(arg)` for every arg, all released together by a barrier; results (or the exception
    raised) in the order of `args`. Each thread closes its connection when done."""
    args = list(args)
    barrier = threading.Barrier(len(args))
    results: list = [None] * len(args)

    def run(index: int, arg) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(arg)
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, arg)) for index, arg in enumerate(args)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
