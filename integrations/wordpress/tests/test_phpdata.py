import json
from decimal import Decimal
from pathlib import Path

import phpserialize
import pytest

from integrations.wordpress.phpdata import CartLine, PHPDataError, parse_cart_contents, parse_string_map
from integrations.wordpress.tests.builders import cart_contents, other_fields, product_object

SAMPLES = json.loads((Path(__file__).parent / "fixtures" / "cartflows_serialized.json").read_text("utf-8"))


def test_php82_sample_cart():
    assert parse_cart_contents(SAMPLES["php82_cart_contents"]) == (
        CartLine(product_id=16, variation_id=None, quantity=2, line_total=Decimal("179.8"), variation={}),
    )


def test_php82_sample_other_fields_counts_utf8_bytes():
    fields = parse_string_map(SAMPLES["php82_other_fields"], "other_fields")

    assert (fields["wcf_first_name"], fields["wcf_last_name"]) == ("Maria", "Silva")
    assert fields["wcf_phone_number"] == "(11) 98765-4321"
    assert fields["wcf_location"] == "BR, São Paulo"  # s:14 for 13 characters
    assert len(fields) == 19


def test_live_site_variation_item():
    assert parse_cart_contents(SAMPLES["live_site_item_cart_contents"]) == (
        CartLine(
            product_id=766,
            variation_id=767,
            quantity=1,
            line_total=Decimal("79.9"),
            variation={"attribute_pa_talla": "xs"},
        ),
    )


def test_generated_cart_with_multibyte_attributes_and_bytes_input():
    data = cart_contents([(30, 31, {"attribute_pa_modelo": "Tênis Côrrida"}, 3, 449.7, "WC_Product_Variation")])

    assert parse_cart_contents(data) == (
        CartLine(
            product_id=30,
            variation_id=31,
            quantity=3,
            line_total=Decimal("449.7"),
            variation={"attribute_pa_modelo": "Tênis Côrrida"},
        ),
    )


def test_item_with_extra_plugin_keys_and_product_id_only_in_object():
    item = {
        "pa_color": "Negro",
        "key": "3d218ce1b50d7a04a09049fd0feeb6c0",
        "quantity": 1,
        "line_total": 0,
        "data": product_object("WC_Product_Simple", 812),
    }

    lines = parse_cart_contents(phpserialize.dumps({"3d218ce1b50d7a04a09049fd0feeb6c0": item}))

    assert lines == (CartLine(product_id=812, variation_id=None, quantity=1, line_total=Decimal("0"), variation={}),)


@pytest.mark.parametrize("empty", [None, "", b"", b"  "])
def test_empty_cart_has_no_lines(empty):
    assert parse_cart_contents(empty) == ()


@pytest.mark.parametrize(
    "corrupt",
    [
        'a:1:{s:32:"c74d97b01eae257e44aa9d5bade97baf";a:1:{s:3:"key";s:99:"short',  # cut inside a string
        SAMPLES["php82_cart_contents"][:-40],  # truncated (e.g. a column too small)
        "not serialized at all",
        's:5:"hello";',  # a string, not an array
        'a:1:{i:0;s:4:"oops";}',  # an item that is not an array
    ],
)
def test_corrupt_cart_raises(corrupt):
    with pytest.raises(PHPDataError):
        parse_cart_contents(corrupt)


def test_other_fields_rejects_non_array():
    with pytest.raises(PHPDataError, match="other_fields is not an array"):
        parse_string_map("i:5;", "other_fields")


def test_other_fields_generated_with_accents():
    fields = parse_string_map(other_fields("João", "Conceição", "+55 55 99123-4567", city="Santa Maria"), "x")

    assert (fields["wcf_first_name"], fields["wcf_last_name"]) == ("João", "Conceição")
    assert fields["wcf_billing_address_1"] == "Rua das Acácias, 45"


def test_wrong_string_lengths_are_read_leniently():
    """Issue 21: a declared length that is not the string's (a charset conversion, a hand edit) is repaired."""
    lines = parse_cart_contents(
        'a:1:{s:32:"c74d97b01eae257e44aa9d5bade97baf";a:2:{s:3:"key";s:99:"short";s:10:"product_id";i:16;}}'
    )

    assert [line.product_id for line in lines] == [16]
