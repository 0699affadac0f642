"""The outside-call protocol on its own: outside a processing run the call is made at once; inside
one it is deferred, answered on the next attempt, bounded, and a raising call gives the fallback."""

import pytest

from conversations.outside_calls import MAX_READS_PER_RUN, OutsideCallNeeded, outside_call, outside_calls_collected


def test_outside_a_run_the_call_is_made_at_once():
    assert outside_call("k", lambda: "called", fallback=lambda: "fallback") == "called"


def test_inside_a_run_the_call_waits_for_the_next_attempt():
    calls = []
    with outside_calls_collected() as read:
        with pytest.raises(OutsideCallNeeded) as needed:
            outside_call("k", lambda: calls.append(1) or "answer", fallback=lambda: "fallback")
        assert calls == []  # not made inside the attempt
        read(needed.value)
        assert outside_call("k", lambda: "again", fallback=lambda: "fallback") == "answer"
    assert calls == [1]


def test_reads_are_bounded_then_the_fallback_answers():
    with outside_calls_collected() as read:
        for n in range(MAX_READS_PER_RUN):
            with pytest.raises(OutsideCallNeeded) as needed:
                outside_call(n, lambda: "answer", fallback=lambda: "fallback")
            read(needed.value)
        assert outside_call("new", lambda: "answer", fallback=lambda: "fallback") == "fallback"


def test_a_raising_call_gives_the_fallback():
    def broken():
        raise RuntimeError("boom")

    with outside_calls_collected() as read:
        with pytest.raises(OutsideCallNeeded) as needed:
            outside_call("k", broken, fallback=lambda: "fallback")
        read(needed.value)
        assert outside_call("k", broken, fallback=lambda: "fallback") == "fallback"
