"""Ratings in every form a customer writes them (issue 20)."""

import pytest

from orders.services import parse_rating


@pytest.mark.parametrize(
    ("answer", "rating"),
    [
        ("5", 5), ("nota 4", 4), ("3 estrelas", 3), ("4/5", 4),
        ("cinco", 5), ("Cinco!", 5), ("nota quatro", 4), ("três estrelas", 3), ("dou dois", 2), ("uma", 1),
        ("⭐⭐⭐⭐⭐", 5), ("⭐️⭐️⭐️", 3), ("★★", 2), ("🌟🌟🌟🌟", 4), ("ótimo ⭐⭐⭐⭐", 4),
    ],
)  # fmt: skip
def test_digits_number_words_and_stars(answer, rating):
    assert parse_rating(answer) == rating


@pytest.mark.parametrize("answer", ["quero uma pizza", "⭐⭐⭐⭐⭐⭐", "oi", "", "seis", "nota 7"])
def test_not_a_rating(answer):
    assert parse_rating(answer) is None
