import time

import pytest

from config.json_input import MAX_DEPTH, UntrustedJsonError, loads_untrusted, nesting_depth


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{", "b": "\\"[["}', 1),  # brackets inside strings, escaped quotes
        (b"[" * 1000, 1000),
        (b"", 0),
    ],
)
def test_nesting_is_measured_outside_strings(raw, depth):
    assert nesting_depth(raw) == depth


def test_nesting_up_to_the_limit_parses_and_beyond_is_refused():
    assert loads_untrusted(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(UntrustedJsonError, match="nested deeper"):
        loads_untrusted(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))


@pytest.mark.parametrize(
    "raw",
    [b'{"a": NaN}', b"[Infinity]", b"[-Infinity]", b'["\\ud800"]', b'{"\\udfff": 1}', b'["a\\u0000"]', b"\xff", b"{"],
)
def test_what_no_database_or_answer_can_hold_is_refused(raw):
    with pytest.raises(UntrustedJsonError):
        loads_untrusted(raw)


def test_surrogate_pairs_and_escaped_backslashes_are_fine():
    assert loads_untrusted(b'["\\ud83d\\ude00", "\\\\u0000"]') == ["😀", "\\u0000"]


@pytest.mark.parametrize("raw", [b"[" * 3_000_000, b'"\\"' * 1_000_000, b'"' + b"\\" * 3_000_000])
def test_measuring_a_3_mb_hostile_body_is_linear(raw):
    started = time.perf_counter()
    with pytest.raises(UntrustedJsonError):
        loads_untrusted(raw)

    assert time.perf_counter() - started < 3  # quadratic scanning would take minutes
