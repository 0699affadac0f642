import gc

import pytest

from leads.services.imports import fewer_gc_passes


def test_fewer_gc_passes_raises_the_first_threshold_and_restores_it_even_on_error():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_gc_passes(first_generation=before[0] + 1000):
        assert gc.get_threshold() == (before[0] + 1000, *before[1:])
        raise RuntimeError
    assert gc.get_threshold() == before
