"""Network reads a bot turn needs, made with no transaction open.

A turn runs under the conversation's row lock (processing), so a handler must not call out from
inside it: the lock would be held for as long as the service takes. A handler that needs a read
(the LLM reading a free-text order) asks for it with `outside_call(key, call, fallback)`:

- in a turn processing runs (`outside_calls_collected`), the first time it raises
  `OutsideCallNeeded`: processing rolls the whole turn back, makes `call()` with no transaction
  open, keeps its answer under `key`, and runs the turn again from the start; that time
  `outside_call` answers what `call()` gave. Nothing of the first attempt was written, so the turn
  is applied once, in one transaction, whatever the read took (a retried task reads again);
- when the reads of one run are used up (the customer kept writing, so every attempt needed a new
  read), `fallback()` answers: it must not call out;
- outside such a run (a direct call, a test), `call()` is made at once.

`call` should answer a fallback value itself rather than raise; if it raises anyway, the error is
logged and the next attempt of the turn gets `fallback()`. `fallback` must not raise.
"""

from collections.abc import Callable, Hashable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import structlog

logger = structlog.get_logger(__name__)

MAX_READS_PER_RUN = 3
_FAILED = object()  # the call raised: the turn gets the fallback


class OutsideCallNeeded(Exception):  # noqa: N818 - a signal to processing, not an error
    """Raised inside a turn: processing makes `call()` outside the transaction and runs it again."""

    def __init__(self, key: Hashable, call: Callable[[], Any]):
        super().__init__(key)
        self.key, self.call = key, call


@dataclass
class _Reads:
    answers: dict = field(default_factory=dict)
    made: int = 0

    @property
    def exhausted(self) -> bool:
        return self.made >= MAX_READS_PER_RUN


_reads: ContextVar[_Reads | None] = ContextVar("outside_call_reads", default=None)


def outside_call(key: Hashable, call: Callable[[], Any], fallback: Callable[[], Any]) -> Any:
    """The answer of `call()` made outside the turn's transaction (module doc)."""
    reads = _reads.get()
    if reads is None:
        return call()
    if key in reads.answers:
        answer = reads.answers[key]
        return fallback() if answer is _FAILED else answer
    if reads.exhausted:
        return fallback()
    raise OutsideCallNeeded(key, call)


@contextmanager
def outside_calls_collected():
    """Inside the block, `outside_call` defers to the caller; yields `read(needed)`, which makes
    the call (the caller has no transaction open) and keeps its answer for the next attempt."""
    reads = _Reads()
    token = _reads.set(reads)

    def read(needed: OutsideCallNeeded) -> None:
        reads.made += 1
        try:
            reads.answers[needed.key] = needed.call()
        except AssertionError:
            raise  # the test suite's guards (no call inside a transaction) fail loudly
        except Exception:
            logger.exception("outside_call_failed", key=str(needed.key)[:200])
            reads.answers[needed.key] = _FAILED

    try:
        yield read
    finally:
        _reads.reset(token)
