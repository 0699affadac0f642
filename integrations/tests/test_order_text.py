from decimal import Decimal

import pytest

from integrations.order_text import CatalogItem, OrderLine, RulesResult, parse_with_rules

CATALOG = [
    CatalogItem(1, "Pizza Calabresa Grande", Decimal("59.90")),
    CatalogItem(2, "Pizza Calabresa Média", Decimal("45.90")),
    CatalogItem(3, "Pizza Mussarela Grande", Decimal("54.90")),
    CatalogItem(4, "Pizza Quatro Queijos Grande", Decimal("64.90")),
    CatalogItem(5, "Pizza Frango com Catupiry Grande", Decimal("62.90")),
    CatalogItem(6, "Pizza Romeu e Julieta Grande", Decimal("49.90")),
    CatalogItem(7, "Esfiha de Carne", Decimal("6.50")),
    CatalogItem(8, "Esfiha de Queijo", Decimal("6.50")),
    CatalogItem(9, "X-Burguer", Decimal("22.00")),
    CatalogItem(10, "X-Salada", Decimal("24.00")),
    CatalogItem(11, "Coca-Cola 2L", Decimal("14.00")),
    CatalogItem(12, "Coca-Cola Lata", Decimal("6.00")),
    CatalogItem(13, "Guaraná Antarctica Lata", Decimal("5.50")),
    CatalogItem(14, "Guaraná Antarctica 2L", Decimal("12.00")),
    CatalogItem(15, "Água Mineral 500ml", Decimal("3.50")),
    CatalogItem(16, "Batata Frita Porção", Decimal("25.00")),
    CatalogItem(17, "Pastel de Queijo", Decimal("9.00")),
]

# (message as a customer would type it, expected (product_id, quantity) lines)
UNDERSTOOD = [
    ("2 pizzas de calabresa grandes e uma coca 2l", [(1, 2), (11, 1)]),
    ("quero meia dúzia de esfiha de carne", [(7, 6)]),
    ("1 x-burguer + 2 guaraná lata", [(9, 1), (13, 2)]),
    ("uma pizza de calabreza grande", [(1, 1)]),
    ("2x x-salada", [(10, 2)]),
    ("coca lata x2", [(12, 2)]),
    ("meia duzia esfiha queijo", [(8, 6)]),
    ("duas esfihas de carne e três de queijo", [(7, 2), (8, 3)]),
    ("Boa noite! Quero uma pizza quatro queijos grande", [(4, 1)]),
    ("pizza quatro queijos", [(4, 1)]),
    ("3 coca cola 2 litros", [(11, 3)]),
    ("um guaraná 2l, uma água", [(14, 1), (15, 1)]),
    ("uma porção de batata frita", [(16, 1)]),
    ("1 pizza romeu e julieta", [(6, 1)]),
    ("pizza frango com catupiry grande e 2 cocas lata", [(5, 1), (12, 2)]),
    ("quero 2 calabresa grande 1 mussarela grande", [(1, 2), (3, 1)]),
    ("2 x salada\n1 batata frita", [(10, 2), (16, 1)]),
    ("dois xburguer", [(9, 2)]),
    ("cinco esfirra de carne", [(7, 5)]),
    ("duas coca-cola lata e um x-burguer", [(12, 2), (9, 1)]),
    ("uma pizza mussarela grande por favor", [(3, 1)]),
    ("me vê 4 esfihas de carne, 4 de queijo e 2 guaranás lata", [(7, 4), (8, 4), (13, 2)]),
    ("2 pizzas calabresa média", [(2, 2)]),
    ("10 esfihas de carne", [(7, 10)]),
    ("uma agua mineral e um guarana 2 litros", [(15, 1), (14, 1)]),
    ("2 X-SALADA E 2 COCA LATA", [(10, 2), (12, 2)]),
    ("3 pasteis de queijo", [(17, 3)]),
    ("1 pizza de mussarela grande, 1 pizza de calabresa média", [(3, 1), (2, 1)]),
    ("um x burguer", [(9, 1)]),
    ("oi, tudo bem? queria 2 pizza de muçarela grande", [(3, 2)]),
    ("2 x coca lata", [(12, 2)]),
    ("cocacola 2l", [(11, 1)]),
    ("coca 2l; 1 batata", [(11, 1), (16, 1)]),
    ("quero 1 calabresa grande\n1 refri... não, 1 guaraná lata", [(1, 1), (13, 1)]),
    ("duas dúzias de esfiha de carne", []),  # 24 is more than the maximum
]


@pytest.mark.parametrize(("message", "expected"), UNDERSTOOD)
def test_understood_messages(message, expected):
    result = parse_with_rules(message, CATALOG)

    assert [(line.product_id, line.quantity) for line in result.lines] == expected


def test_note_after_sem():
    result = parse_with_rules("2 x-burguer sem cebola", CATALOG)

    assert result == RulesResult((OrderLine(9, 2, "sem cebola"),))


def test_accented_note_kept_as_typed():
    result = parse_with_rules("1 pastel de queijo sem orégano", CATALOG)

    assert result.lines == (OrderLine(17, 1, "sem orégano"),)


def test_greeting_alone_is_ignored():
    assert parse_with_rules("oi, boa noite!", CATALOG) == RulesResult(())


def test_unknown_chatter_is_ignored():
    assert parse_with_rules("me manda o cardápio", CATALOG) == RulesResult(())


def test_ambiguous_product_is_unmatched():
    result = parse_with_rules("uma coca", CATALOG)

    assert result == RulesResult((), ("uma coca",))


def test_generic_word_is_unmatched():
    result = parse_with_rules("quero uma pizza", CATALOG)

    assert result == RulesResult((), ("quero uma pizza",))


def test_unknown_product_with_quantity_is_unmatched():
    result = parse_with_rules("1 hamburguer de siri e 1 coca lata", CATALOG)

    assert result == RulesResult((OrderLine(12, 1),), ("1 hamburguer de siri",))


def test_quantity_over_maximum_is_unmatched():
    result = parse_with_rules("15 esfihas de carne", CATALOG, max_quantity=10)

    assert result == RulesResult((), ("15 esfihas de carne",))


def test_a_dozen_is_twelve():
    result = parse_with_rules("uma dúzia de esfiha de queijo", CATALOG, max_quantity=12)

    assert result.lines == (OrderLine(8, 12),)


def test_higher_maximum_accepts_two_dozen():
    result = parse_with_rules("duas dúzias de esfiha de carne", CATALOG, max_quantity=30)

    assert result.lines == (OrderLine(7, 24),)


def test_empty_catalog_understands_nothing():
    assert parse_with_rules("2 pizzas de calabresa", []) == RulesResult((), ("2 pizzas de calabresa",))
