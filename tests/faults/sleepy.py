"""A task for the stop test: the first run sleeps (in flight when the worker is stopped), a rerun returns."""

import time
from pathlib import Path

from celery import shared_task


@shared_task(queue="default", acks_late=True, reject_on_worker_lost=True)
def fault_sleep_task(*, path: str, seconds: float) -> str:
    log = Path(path)
    first = not log.exists()
    with log.open("a") as out:
        out.write("start\n")
    if first:
        time.sleep(seconds)
    with log.open("a") as out:
        out.write("done\n")
    return "done"
