"""Folding what people type, so that two spellings of the same words compare equal.

Customers write "CARDÁPIO!", "cardapio" and "Cardápio." for one word. Every place that compares
typed text with a word list, a keyword or a product name folds both sides here, so they all forgive
the same differences. Plain Python, no Django: every app can import it.
"""

import re
import unicodedata

_NOT_A_WORD_CHARACTER = re.compile(r"[\W_]+")


def strip_accents(text: str) -> str:
    """`text` without accents, and with compatibility characters in their plain form ("º" → "o",
    "ﬁ" → "fi", "²" → "2"); case, spacing and punctuation are kept."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold(text: str) -> str:
    """`text` as bare words: case, accents and punctuation removed, words separated by one space.

    Letters and digits of any script stay ("日本" is a word); everything else, underscores and
    emoji included, separates words: "Sair!" → "sair", "Coca-Cola  2L" → "coca cola 2l".
    """
    return _NOT_A_WORD_CHARACTER.sub(" ", strip_accents((text or "").casefold())).strip()
