"""The parser's sentence table (data/order_sentences.tsv): realistic messages against the demo menu,
read by the rules at >= 95% (issue 20). `python -m integrations.tests.test_order_sentences` prints
the figure and the sentences read wrong."""

from decimal import Decimal
from pathlib import Path

from integrations.order_text import CatalogItem, parse_with_rules

TABLE = Path(__file__).parent / "data" / "order_sentences.tsv"
MENU = [
    "Pizza Margherita",
    "Pizza de Calabresa",
    "Pizza Portuguesa",
    "Pizza Quatro Queijos",
    "Coca-Cola 2L",
    "Guaraná Antarctica 2L",
]
CATALOG = [CatalogItem(n, name, Decimal("10.00")) for n, name in enumerate(MENU, 1)]
GOAL = 0.95


def sentences() -> list[tuple[str, list[tuple[str, int]]]]:
    table = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        message, expected = line.split("\t")
        lines = []
        if expected.strip() != "-":
            for part in expected.split(" | "):
                name, quantity = part.rsplit("*", 1)
                lines.append((name, int(quantity)))
        table.append((message.replace("\\n", "\n"), lines))
    return table


def read(message: str) -> list[tuple[str, int]]:
    result = parse_with_rules(message, CATALOG)
    return [(MENU[line.product_id - 1], line.quantity) for line in result.lines]


def score() -> tuple[float, list[tuple[str, list, list]]]:
    table = sentences()
    wrong = [(message, expected, got) for message, expected in table if (got := read(message)) != expected]
    return 1 - len(wrong) / len(table), wrong


def test_the_table_has_at_least_80_sentences():
    assert len(sentences()) >= 80


def test_at_least_95_percent_of_the_table_is_read_right():
    figure, wrong = score()
    assert figure >= GOAL, f"{figure:.1%}; read wrong: {wrong}"


def test_notes_stay_on_the_item():
    (line,) = parse_with_rules("1 portuguesa sem cebola", CATALOG).lines
    assert (line.product_id, line.note) == (3, "sem cebola")


if __name__ == "__main__":
    figure, wrong = score()
    print(f"{len(sentences())} sentences, {figure:.1%} read right")
    for message, expected, got in wrong:
        print(f"  {message!r}: expected {expected}, got {got}")
