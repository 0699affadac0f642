import pytest

from integrations.text import fold, strip_accents


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        # opt-out words, whole message
        ("Sair!", "sair"),
        ("  PARAR. ", "parar"),
        ("Cancelar", "cancelar"),
        # flow keywords
        ("quero ver o CARDÁPIO!", "quero ver o cardapio"),
        ("posso ver  menu?", "posso ver menu"),
        # picks from a numbered list, payment words
        ("2.", "2"),
        ("nº 2", "no 2"),
        ("Opção 3)", "opcao 3"),
        ("Cartão de crédito", "cartao de credito"),
        # product names
        ("Guaraná", "guarana"),
        ("Coca-Cola  2L", "coca cola 2l"),
        ("X_Burguer", "x burguer"),
        # Unicode: case folding, compatibility forms, letters of other scripts, emoji
        ("STRAßE", "strasse"),
        ("ﬁlé", "file"),
        ("İstanbul", "istanbul"),
        ("日本 ok", "日本 ok"),
        ("👍 sim", "sim"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(typed, folded):
    assert fold(typed) == folded


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("Pão de Açúcar", "Pao de Acucar"),  # case kept
        ("coca-cola 1,5l", "coca-cola 1,5l"),  # punctuation kept
        ("nº ²", "no 2"),
        ("", ""),
        (None, ""),
    ],
)
def test_strip_accents(typed, plain):
    assert strip_accents(typed) == plain
