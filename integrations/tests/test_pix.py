"""Pix BR Code vectors. Sources of the published payloads (all CRCs re-checked by hand):

BCB_STATIC      BCB "Manual de Padrões para Iniciação do Pix", static example (also in the test suites
                of naomijub/brcode and stone-payments/ex-pix-brcode).
PIX_UTILS_EMAIL thalesog/pix-utils tests/emvCodes.ts STATIC_TEST_EMV, built there from the inputs
                used below (city "SÃO MIGUÉL DO O").
BCB_BRCODE      BCB "Manual do BR Code" illustrative example (card, Pix and other templates).
BCB_DYNAMIC     Dynamic (location URL) example annotated in gist matheusb-comp/1efa205b... (section 6.2).
ACCENTED_CITY   stone-payments/ex-pix-brcode decoder test: non-ASCII city, CRC over UTF-8 bytes.
MP_SANDBOX      qr_code of a Mercado Pago sandbox Pix payment published in
                M-Robot35/Boilerplate-Node.js-Start backend/exemplos-in-out/pix.ts.
MP_DOCS_BAD_CRC The sample qr_code in Mercado Pago's Pix docs: its CRC is wrong (real one is 2DFA).
"""

from decimal import Decimal

import pytest

from integrations.pix import (
    InvalidBRCode,
    PixKeyKind,
    build_static_brcode,
    crc16_ccitt,
    normalize_pix_key,
    parse_brcode,
)

BCB_STATIC = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
    "5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
PIX_UTILS_EMAIL = (
    "00020126510014br.gov.bcb.pix0115thalesog@me.com0210Pedido 123520400005303986540510.005802BR"
    "5914Thales Ogliari6015SAO MIGUEL DO O62070503***63044367"
)
BCB_BRCODE = (
    "00020104141234567890123426660014BR.GOV.BCB.PIX014466756C616E6F32303139406578616D706C652E636F6D"
    "27300012BR.COM.OUTRO011001234567895204000053039865406123.455802BR5915NOMEDORECEBEDOR6008BRASILIA"
    "61087007490062530515RP12345678-201950300017BR.GOV.BCB.BRCODE01051.0.080450014BR.GOV.BCB.PIX"
    "0123PADRAO.URL.PIX/0123ABCD81390012BR.COM.OUTRO01190123.ABCD.3456.WXYZ6304EB76"
)
BCB_DYNAMIC = (
    "00020101021226770014BR.GOV.BCB.PIX2555pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99"
    "5204000053039865802BR5907EMPRESA6009SAO PAULO62070503***6304EEAB"
)
ACCENTED_CITY = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
    "5913Fulano de Tal6008BRASÍLIA62070503***6304B4F6"
)
MP_SANDBOX = (
    "00020126580014br.gov.bcb.pix0136b76aa9c2-2ec4-4110-954e-ebfe34f05b61520400005303986540512.34"
    "5802BR5911TE35069Wi056014Begz kGOBJEUte62230519mpqrinter132741051963042B7C"
)
MP_DOCS_BAD_CRC = (
    "00020126600014br.gov.bcb.pix0117john@yourdomain.com0217additional data520400005303986540510.00"
    "5802BR5913Maria Silva6008Brasilia62070503***6304E2CA"
)
EVP = "123e4567-e12b-12d1-a456-426655440000"


def build(**overrides) -> str:
    args = {"key": EVP, "merchant_name": "Pizzaria Bella", "merchant_city": "Campinas"}
    return build_static_brcode(**{**args, **overrides})


@pytest.mark.parametrize(
    ("data", "crc"),
    [(b"123456789", 0x29B1), (b"", 0xFFFF), (b"A", 0xB915), (BCB_STATIC[:-4].encode(), 0x1D3D)],
)
def test_crc16_ccitt_false_vectors(data, crc):
    assert crc16_ccitt(data) == crc


def test_bcb_manual_static_example_regenerated_byte_for_byte():
    assert build_static_brcode(key=EVP, merchant_name="Fulano de Tal", merchant_city="BRASILIA") == BCB_STATIC


def test_pix_utils_example_with_accents_amount_and_description_regenerated():
    payload = build_static_brcode(
        key="thalesog@me.com",
        merchant_name="Thales Ogliari",
        merchant_city="SÃO MIGUÉL DO O",
        amount=Decimal("10"),
        description="Pedido 123",
    )

    assert payload == PIX_UTILS_EMAIL


@pytest.mark.parametrize("payload", [BCB_STATIC, PIX_UTILS_EMAIL, BCB_BRCODE, BCB_DYNAMIC, ACCENTED_CITY, MP_SANDBOX])
def test_published_payloads_parse(payload):
    assert parse_brcode(payload)["crc"] == payload[-4:]


def test_parse_static_example_fields():
    parsed = parse_brcode(PIX_UTILS_EMAIL)

    assert parsed == {
        "fields": {
            "00": "01",
            "26": "0014br.gov.bcb.pix0115thalesog@me.com0210Pedido 123",
            "52": "0000",
            "53": "986",
            "54": "10.00",
            "58": "BR",
            "59": "Thales Ogliari",
            "60": "SAO MIGUEL DO O",
            "62": "0503***",
            "63": "4367",
        },
        "key": "thalesog@me.com",
        "url": None,
        "description": "Pedido 123",
        "amount": Decimal("10.00"),
        "merchant_name": "Thales Ogliari",
        "merchant_city": "SAO MIGUEL DO O",
        "txid": "***",
        "one_time": False,
        "crc": "4367",
    }


def test_parse_finds_pix_account_among_other_templates():
    parsed = parse_brcode(BCB_BRCODE)

    assert (parsed["key"], parsed["amount"], parsed["txid"]) == (
        "66756C616E6F32303139406578616D706C652E636F6D",
        Decimal("123.45"),
        "RP12345678-2019",
    )


def test_parse_dynamic_code_gives_url_and_one_time():
    parsed = parse_brcode(BCB_DYNAMIC)

    assert (parsed["key"], parsed["url"], parsed["one_time"]) == (
        None,
        "pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99",
        True,
    )


def test_parse_mercado_pago_sandbox_code():
    parsed = parse_brcode(MP_SANDBOX)

    assert (parsed["key"], parsed["amount"], parsed["txid"]) == (
        "b76aa9c2-2ec4-4110-954e-ebfe34f05b61",
        Decimal("12.34"),
        "mpqrinter1327410519",
    )


def test_parse_rejects_mercado_pago_docs_sample_with_wrong_crc():
    with pytest.raises(InvalidBRCode, match="CRC mismatch: payload says E2CA, content gives 2DFA"):
        parse_brcode(MP_DOCS_BAD_CRC)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "must end with the CRC field"),
        (BCB_STATIC.replace("Fulano", "Ciclano"), "CRC mismatch"),
        (BCB_STATIC[:-4] + "0000", "CRC mismatch"),
        ("0002016304", "must end with the CRC field"),
    ],
)
def test_parse_rejects_malformed(payload, message):
    with pytest.raises(InvalidBRCode, match=message):
        parse_brcode(payload)


def test_parse_rejects_truncated_field_even_with_matching_crc():
    body = "000201260800141234" + "6304"
    payload = body + f"{crc16_ccitt(body.encode()):04X}"

    with pytest.raises(InvalidBRCode, match="field 00 is shorter than its length 14"):
        parse_brcode(payload)


def test_parse_rejects_non_ascii_digits_in_a_field_header():
    body = "000201" + "26¹²" + "6304"
    payload = body + f"{crc16_ccitt(body.encode()):04X}"

    with pytest.raises(InvalidBRCode, match="malformed field header at position 6"):
        parse_brcode(payload)


def test_parse_rejects_code_without_pix_account():
    body = "00020126160012BR.COM.OUTRO" + "5204000053039865802BR5903ABC6003SAO62070503***6304"
    payload = body + f"{crc16_ccitt(body.encode()):04X}"

    with pytest.raises(InvalidBRCode, match="no Pix merchant account"):
        parse_brcode(payload)


def test_round_trip_with_every_field():
    payload = build(amount=Decimal("1234.50"), txid="PEDIDO1001", description="Pedido 1001")
    parsed = parse_brcode(payload)

    assert (
        parsed["key"],
        parsed["amount"],
        parsed["txid"],
        parsed["description"],
        parsed["merchant_name"],
        parsed["merchant_city"],
    ) == (EVP, Decimal("1234.50"), "PEDIDO1001", "Pedido 1001", "Pizzaria Bella", "CAMPINAS")
    assert parsed["fields"]["54"] == "1234.50"


def test_without_amount_or_txid_field_54_is_absent_and_txid_is_stars():
    parsed = parse_brcode(build())

    assert "54" not in parsed["fields"]
    assert parsed["txid"] == "***"


def test_name_and_city_are_stripped_of_accents_and_truncated():
    parsed = parse_brcode(
        build(merchant_name="  Pizzaria  São  João do Açaí Ltda ME  ", merchant_city="São José dos Campos")
    )

    assert parsed["merchant_name"] == "Pizzaria Sao Joao do Acai"
    assert len(parsed["merchant_name"]) == 25
    assert parsed["merchant_city"] == "SAO JOSE DOS CA"
    assert len(parsed["merchant_city"]) == 15


def test_non_latin_characters_are_dropped():
    parsed = parse_brcode(build(merchant_name="Pizza 🍕 Bella", description="Pedido nº 12 — mesa 3"))

    assert (parsed["merchant_name"], parsed["description"]) == ("Pizza Bella", "Pedido no 12 mesa 3")


def test_description_is_cut_to_fit_the_account_template():
    parsed = parse_brcode(build(description="x" * 200))

    assert len(parsed["fields"]["26"]) == 99
    assert parsed["description"] == "x" * (99 - 18 - 40 - 4)


def test_description_is_left_out_when_the_key_fills_the_template():
    email = "a" * 65 + "@exemplo.com"  # 77 characters, the DICT maximum

    parsed = parse_brcode(build(key=email, description="Pedido 1"))

    assert (parsed["key"], parsed["description"]) == (email, None)


@pytest.mark.parametrize(
    ("key", "kind", "normalised"),
    [
        ("529.982.247-25", PixKeyKind.CPF, "52998224725"),
        ("52998224725", PixKeyKind.CPF, "52998224725"),
        ("11.222.333/0001-81", PixKeyKind.CNPJ, "11222333000181"),
        ("+55 (11) 98765-4321", PixKeyKind.PHONE, "+5511987654321"),
        ("+551133334444", PixKeyKind.PHONE, "+551133334444"),
        ("Maria@Exemplo.com.br", PixKeyKind.EMAIL, "maria@exemplo.com.br"),
        ("123E4567-E12B-12D1-A456-426655440000", PixKeyKind.EVP, EVP),
    ],
)
def test_normalize_pix_key(key, kind, normalised):
    assert normalize_pix_key(key) == (kind, normalised)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "empty"),
        ("529.982.247-26", "CPF key has invalid check digits"),
        ("111.111.111-11", "CPF key has invalid check digits"),
        ("11.222.333/0001-82", "CNPJ key has invalid check digits"),
        ("+1 415 555 2671", "must be \\+55"),
        ("+55 11 1234", "must be \\+55"),
        ("11987654321x", "must be a CPF, CNPJ"),
        ("1234567", "must be a CPF, CNPJ"),
        ("maria@", "not a valid e-mail"),
        ("joão@exemplo.com", "not a valid e-mail"),
        ("123e4567-e12b-12d1-a456-42665544000", "must be a CPF, CNPJ"),
    ],
)
def test_invalid_keys_are_rejected(key, message):
    with pytest.raises(ValueError, match=message):
        build(key=key)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0"), "greater than zero"),
        (Decimal("-5.00"), "greater than zero"),
        (Decimal("10.005"), "at most 2 decimal places"),
        (Decimal("NaN"), "greater than zero"),
        (Decimal("12345678901.00"), "fit in 13 characters"),
        (10.5, "must be a Decimal"),
        ("10.50", "must be a Decimal"),
    ],
)
def test_invalid_amounts_are_rejected(amount, message):
    with pytest.raises(ValueError, match=message):
        build(amount=amount)


@pytest.mark.parametrize(
    ("txid", "message"),
    [("pedido-1", "letters or digits"), ("A" * 26, "1 to 25 letters or digits"), ("pedido 1", "letters or digits")],
)
def test_invalid_txids_are_rejected(txid, message):
    with pytest.raises(ValueError, match=message):
        build(txid=txid)


def test_empty_name_or_city_is_rejected():
    with pytest.raises(ValueError, match="merchant name is empty"):
        build(merchant_name="🍕")
    with pytest.raises(ValueError, match="merchant city is empty"):
        build(merchant_city="  ")
