"""Rule-based reading of free-text orders ("2 pizzas de calabresa e uma coca 2l") against a catalog.

Deterministic and offline: the fallback when no LLM key is set or the LLM fails (SPEC §9).
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

from integrations.text import strip_accents


@dataclass(frozen=True)
class CatalogItem:
    """A product the customer may order."""

    product_id: int | str
    name: str
    price: Decimal


@dataclass(frozen=True)
class OrderLine:
    product_id: int | str
    quantity: int
    note: str = ""


@dataclass(frozen=True)
class RulesResult:
    """What was understood, and the pieces that were not (as typed)."""

    lines: tuple[OrderLine, ...]
    unmatched: tuple[str, ...] = ()


NUMBER_WORDS = {
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6,
    "sete": 7, "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12, "quinze": 15, "vinte": 20,
    "outra": 1, "outro": 1,  # "uma de calabresa e outra de margherita"
}  # fmt: skip
DOZEN = "duzia"
# Words that carry no product meaning in an order message; removed from both text and catalog names.
STOPWORDS = frozenset(
    """quero queria gostaria desejo preciso vou querer quer pode ser manda mandar me ve traz trazer
    pra para mim nos por favor pfv pf pls obrigado obrigada oi ola boa bom noite dia tarde tudo bem
    de da do das dos o a os as mais tambem tb tbm com ai hoje agora entao ne aqui la so e ou uns umas
    pedido pedir fazer moco moca amigo amiga""".split()
)
NOTE_STARTERS = frozenset({"sem"})
# Words that describe an item without naming it ("calabresa grande", "coca gelada", "bem passada"):
# dropped from what is matched unless a catalog name uses them (then "grande" picks the variant).
DESCRIPTIVE = frozenset(
    """grande grandes media medio pequena pequeno broto familia gigante gelada gelado geladas gelados
    geladinha geladinho quente quentinha quentinho bem passada passado caprichada caprichado
    bonita gostosa gostoso caseira caseiro inteira inteiro normal tradicional refri refris refrigerante
    refrigerantes""".split()
)
_DIGIT_WORDS = {str(value): word for word, value in reversed(list(NUMBER_WORDS.items()))}
MIN_SCORE = 0.55  # below this a piece names no product
AMBIGUITY_MARGIN = 0.05  # two candidates this close: the customer must say which
CHATTER_SCORE = 0.35  # pieces with no quantity scoring below this are small talk, not a failed order
TOKEN_MATCH = 0.75  # difflib ratio from which two words count as the same word with a typo

_SEPARATORS = re.compile(r"[\n;,+/!?]|(?<!\d)\.|\.(?!\d)")
_TOKEN = re.compile(r"[\w-]+")
_MULTIPLIER = re.compile(r"^(\d{1,3})x$|^x(\d{1,3})$")


@dataclass(frozen=True)
class _Token:
    shown: str  # lowercase, accents kept (for notes and unmatched text)
    key: str  # lowercase, accents removed (for matching)


@dataclass(frozen=True)
class _Candidate:
    item: CatalogItem
    variants: tuple[tuple[str, ...], ...]


def parse_with_rules(text: str, catalog: list[CatalogItem], *, max_quantity: int = 10) -> RulesResult:
    """Read `text` into order lines for products of `catalog`.

    Splits the message on "e", ",", "+", ";", newlines and on a new quantity; reads quantities in
    digits, words ("um".."doze", "meia dúzia", "uma dúzia"), "2x" and "x2"; matches product names
    forgivingly (accents, case, plurals, small typos, "coca-cola"/"cocacola", size words such as
    "grande" or "2l" that pick among variants); "sem cebola" becomes the line's note. A piece that
    names no product unambiguously, or asks more than `max_quantity`, goes to `unmatched` (its text
    as typed) so the bot can ask; chatter with no quantity and no near product is ignored.
    """
    candidates = [_Candidate(item, _name_variants(item.name)) for item in catalog]
    protected_pairs, name_bigrams = _catalog_phrases(candidates)
    named = {word for candidate in candidates for variant in candidate.variants for word in variant}
    lines: list[OrderLine] = []
    unmatched: list[str] = []
    previous: _Candidate | None = None
    for piece in _pieces(text, protected_pairs, name_bigrams):
        quantity, words, note, elliptic = _read_piece(piece, name_bigrams)
        product_tokens = tuple(t for t in _product_tokens(words) if t not in DESCRIPTIVE or t in named)
        if not product_tokens:
            if quantity is not None:
                unmatched.append(_shown(piece))
            continue
        best, score = _best_match(product_tokens, candidates)
        if best is None and elliptic and previous is not None:
            # "4 esfihas de carne e 4 de queijo": the second piece borrows the first one's head noun.
            head = previous.variants[0][:1]
            best, score = _best_match(head + product_tokens, candidates)
        if best is None:
            if quantity is not None or score >= CHATTER_SCORE:
                unmatched.append(_shown(piece))
            continue
        quantity = 1 if quantity is None else quantity
        if not 1 <= quantity <= max_quantity:
            unmatched.append(_shown(piece))
            continue
        lines.append(OrderLine(best.item.product_id, quantity, note))
        previous = best
    return RulesResult(tuple(lines), tuple(unmatched))


# -- text into pieces ---------------------------------------------------------------------------


def _normalize_sizes(text: str) -> str:
    text = re.sub(r"(\d+)[.,](\d+)\s*(?:l|lt|lts|litro|litros)\b", r"\1.\2l", text)
    text = re.sub(r"(\d+)\s*(?:l|lt|lts|litro|litros)\b", r"\1l", text)
    return re.sub(r"(\d+)\s*(?:ml|mls)\b", r"\1ml", text)


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for raw in _TOKEN.findall(text):
        shown = raw.strip("-")
        if shown:
            tokens.append(_Token(shown, strip_accents(shown)))
    return tokens


def _pieces(text: str, protected_pairs: set, name_bigrams: set) -> list[list[_Token]]:
    pieces = []
    for chunk in _SEPARATORS.split(_normalize_sizes(text.lower())):
        for part in _split_on_and(_tokens(chunk), protected_pairs):
            pieces.extend(_split_on_quantities(part, name_bigrams))
    return [piece for piece in pieces if piece]


def _split_on_and(tokens: list[_Token], protected_pairs: set) -> list[list[_Token]]:
    parts, current = [], []
    for index, token in enumerate(tokens):
        if token.key == "e" and 0 < index < len(tokens) - 1:
            pair = (_singular(tokens[index - 1].key), _singular(tokens[index + 1].key))
            if pair not in protected_pairs:  # "romeu e julieta" is one product
                parts.append(current)
                current = []
                continue
        current.append(token)
    parts.append(current)
    return parts


def _split_on_quantities(tokens: list[_Token], name_bigrams: set) -> list[list[_Token]]:
    """ "2 calabresa 1 mussarela" is two pieces; "coca lata 2" and "coca lata x2" are one."""
    pieces, current, seen_product = [], [], False
    for index, token in enumerate(tokens):
        is_last = index == len(tokens) - 1
        starts_new = (
            seen_product
            and not is_last
            and not token.key.startswith("x")
            and _quantity_of(tokens, index, name_bigrams) is not None
        )
        if starts_new:
            pieces.append(current)
            current, seen_product = [], False
        current.append(token)
        if token.key not in STOPWORDS and _quantity_of(tokens, index, name_bigrams) is None:
            seen_product = True
    pieces.append(current)
    return pieces


def _quantity_of(tokens: list[_Token], index: int, name_bigrams: set) -> int | None:
    key = tokens[index].key
    following = tokens[index + 1].key if index + 1 < len(tokens) else ""
    if following and (key, _singular(following)) in name_bigrams:
        return None  # "pizza quatro queijos": the number is part of the name
    if key.isdigit() and len(key) <= 3:
        return int(key)
    if match := _MULTIPLIER.match(key):
        return int(match.group(1) or match.group(2))
    return NUMBER_WORDS.get(key)


def _read_piece(piece: list[_Token], name_bigrams: set) -> tuple[int | None, list[_Token], str, bool]:
    """Split one piece into (quantity, product words, note, starts-with-"de" after the quantity)."""
    note_at = next((i for i, t in enumerate(piece) if t.key in NOTE_STARTERS), len(piece))
    note = " ".join(t.shown for t in piece[note_at:])
    body = piece[:note_at]
    quantity, words, index = None, [], 0
    while index < len(body):
        token = body[index]
        following = body[index + 1].key if index + 1 < len(body) else ""
        if quantity is None and token.key == "meia" and following.startswith(DOZEN):
            quantity, index = 6, index + 2
            continue
        if quantity is None and token.key.startswith(DOZEN):
            quantity, index = 12, index + 1
            continue
        value = _quantity_of(body, index, name_bigrams) if quantity is None else None
        if value is not None:
            quantity = value * 12 if following.startswith(DOZEN) else value
            index += 2 if following.startswith(DOZEN) else 1
            continue
        words.append(token)
        index += 1
    elliptic = bool(words) and words[0].key in {"de", "da", "do"}
    return quantity, words, note, elliptic


def _shown(piece: list[_Token]) -> str:
    return " ".join(token.shown for token in piece)


# -- matching -------------------------------------------------------------------------------------


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s") or word[0].isdigit() or word in NUMBER_WORDS:
        return word
    for plural, single in (("oes", "ao"), ("aes", "ao"), ("eis", "el"), ("ais", "al"), ("ns", "m")):
        if word.endswith(plural):
            return word[: -len(plural)] + single
    if word.endswith(("res", "zes")) and len(word) > 4:
        return word[:-2]
    return word[:-1]


def _number_word(word: str) -> str:
    """A number in a name as its word: "4 queijos" and "quatro queijos" are the same pizza."""
    return _DIGIT_WORDS.get(word, "dois" if word == "duas" else "um" if word == "uma" else word)


def _product_tokens(words: list[_Token]) -> tuple[str, ...]:
    keys = []
    for token in words:
        for part in token.key.split("-"):
            if part and part not in STOPWORDS:
                keys.append(_number_word(_singular(part)))
    return tuple(keys)


def _name_variants(name: str) -> tuple[tuple[str, ...], ...]:
    """The name as words, and with hyphenated words joined ("coca-cola" → "cocacola")."""
    text = strip_accents(_normalize_sizes(name.lower()))
    words = _TOKEN.findall(text)
    split = tuple(_number_word(_singular(p)) for w in words for p in w.split("-") if p and p not in STOPWORDS)
    joined = tuple(_number_word(_singular(w.replace("-", ""))) for w in words if w.replace("-", "") not in STOPWORDS)
    return (split, joined) if joined != split else (split,)


def _catalog_phrases(candidates: list[_Candidate]) -> tuple[set, set]:
    protected, bigrams = set(), set()
    for candidate in candidates:
        words = [_singular(w) for w in _TOKEN.findall(strip_accents(candidate.item.name.lower()))]
        for index in range(1, len(words) - 1):
            if words[index] == "e":
                protected.add((words[index - 1], words[index + 1]))
        for first, second in zip(words, words[1:], strict=False):
            if first.isdigit() or first in NUMBER_WORDS:
                # Either spelling of the number: "4 queijos" names "Quatro Queijos" and back.
                value = str(NUMBER_WORDS[first]) if first in NUMBER_WORDS else first
                spellings = {first, value} | {w for w, v in NUMBER_WORDS.items() if str(v) == value}
                bigrams.update((spelling, second) for spelling in spellings)
    return protected, bigrams


def _word_score(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if any(c.isdigit() for c in a + b):
        return 0.0  # sizes ("2l", "350ml") match exactly or not at all
    short, long = sorted((a, b), key=len)
    if len(short) >= 4 and long.startswith(short):
        return 0.85  # "refri" for "refrigerante", "calab" for "calabresa" (either way round)
    ratio = SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= TOKEN_MATCH else 0.0


def _coverage(source: tuple[str, ...], target: tuple[str, ...]) -> float:
    return sum(max((_word_score(s, t) for t in target), default=0.0) for s in source) / len(source)


def _score(words: tuple[str, ...], name: tuple[str, ...]) -> float:
    if not words or not name:
        return 0.0
    precision = _coverage(words, name)  # how much of what was typed is explained by the name
    recall = _coverage(name, words)  # how much of the name was typed
    return 0.6 * precision + 0.4 * recall


def _candidate_score(words: tuple[str, ...], candidate: _Candidate) -> float:
    attempts = [words]
    if len(words) > 1 and words[0] == "x":
        attempts.append(words[1:])  # "2 x coca": the x is a multiplication sign, not "X-Burguer"
    return max(_score(w, name) for w in attempts for name in candidate.variants)


def _best_match(words: tuple[str, ...], candidates: list[_Candidate]) -> tuple[_Candidate | None, float]:
    """The one candidate clearly named by `words`, and the best score seen (None when unclear)."""
    scored = sorted(((_candidate_score(words, c), i) for i, c in enumerate(candidates)), reverse=True)
    if not scored:
        return None, 0.0
    best_score, best_index = scored[0]
    if best_score < MIN_SCORE:
        return None, best_score
    if len(scored) > 1 and best_score - scored[1][0] < AMBIGUITY_MARGIN:
        return None, best_score
    return candidates[best_index], best_score
