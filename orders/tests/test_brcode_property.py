"""Property test: every BR Code the Pix checkout produces is a valid EMV payload.

Random (seeded, reproducible) amounts, merchant names and cities — accents, symbols, long names —
and each kind of Pix key go through the real path (order placed → `pix_charge_create` with the
company's static key). Each payload must pass a CRC16 written here, independently of
integrations.pix, respect the EMV TLV lengths, and decode back through `parse_brcode`.
"""

import random
import string
import unicodedata
import uuid
from decimal import Decimal

from catalog.tests.factories import ProductFactory
from customers.tests.factories import CustomerFactory
from integrations.pix import parse_brcode
from orders.payments import pix_charge_create
from orders.services import OrderLine, order_place
from tenants.models import CompanySetting
from tenants.services import company_setting_set

CASES = 120
SEED = 20240605
WORDS = ["Pizzaria", "São", "João", "Açaí", "Pão", "de", "Queijo", "Ñandú", "Estação", "Coração", "d'Ávila", "&", "Cia.", "Lanchonete", "Mãe", "Joana", "Ltda", "ÉÈÊË", "Ôôô", "Üçãõ"]  # fmt: skip
CITIES = ["São Paulo", "Florianópolis", "Santa Bárbara d'Oeste", "Ji-Paraná", "Mogi das Cruzes", "Itaquaquecetuba", "Brasília", "Vitória da Conquista", "Maceió"]  # fmt: skip


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor), bit by bit."""
    crc = 0xFFFF
    for byte in data:
        for bit in range(7, -1, -1):
            top = (crc >> 15) & 1
            crc = (crc << 1) & 0xFFFF
            if top ^ ((byte >> bit) & 1):
                crc ^= 0x1021
    return crc


def emv_fields(text: str) -> list[tuple[str, str]]:
    """Top-level (id, value) pairs; asserts every header is 2+2 digits and every length is exact."""
    fields, position = [], 0
    while position < len(text):
        field_id, size = text[position : position + 2], text[position + 2 : position + 4]
        assert field_id.isdigit() and size.isdigit(), text[position:]
        value = text[position + 4 : position + 4 + int(size)]
        assert len(value) == int(size)
        fields.append((field_id, value))
        position += 4 + int(size)
    return fields


def emv_folded(value: str) -> str:
    ascii_only = "".join(c for c in unicodedata.normalize("NFKD", value) if " " <= c <= "~")
    return " ".join(ascii_only.split())


def valid_cpf(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(9)]
    while len(set(digits)) == 1:
        digits = [rng.randrange(10) for _ in range(9)]
    for size in (9, 10):
        total = sum(d * w for d, w in zip(digits, range(size + 1, 1, -1), strict=False))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


def random_key(rng: random.Random) -> tuple[str, str]:
    """(key as typed by staff, key as it must appear in the payload)."""
    kind = rng.choice(["email", "phone", "evp", "cpf"])
    if kind == "email":
        user = "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(3, 30)))
        return f"{user}@pizzaria-exemplo.com.br", f"{user}@pizzaria-exemplo.com.br"
    if kind == "phone":
        number = f"+55{rng.randint(1, 9)}{rng.randint(1, 9)}9{rng.randint(10_000_000, 99_999_999)}"
        return number, number
    if kind == "evp":
        key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return key, key
    cpf = valid_cpf(rng)
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}", cpf


def random_amount(rng: random.Random) -> Decimal:
    magnitude = rng.choice([1, 100, 10_000, 1_000_000, 99_999_999])
    return Decimal(rng.randint(1, magnitude * 100)) / 100


def test_every_pix_checkout_brcode_passes_crc_lengths_and_decodes_back(company_a):
    rng = random.Random(SEED)
    customer = CustomerFactory(company=company_a)
    text = CompanySetting.ValueType.STRING
    for case in range(CASES):
        key, key_in_payload = random_key(rng)
        name = " ".join(rng.choices(WORDS, k=rng.randint(1, 9)))
        city = rng.choice(CITIES)
        amount = random_amount(rng)
        for setting, value in (("pix_key", key), ("pix_merchant_name", name), ("pix_merchant_city", city)):
            company_setting_set(company=company_a, key=setting, value=value, value_type=text)
        product = ProductFactory(company=company_a, price=amount)
        order = order_place(
            company=company_a,
            customer=customer,
            lines=[OrderLine(product, product.name, 1, amount)],
            payment_method="pix",
        )

        payload = pix_charge_create(order=order).qr_payload

        context = f"case {case}: {payload}"
        assert payload.isascii() and payload.isprintable(), context
        assert payload[-8:-4] == "6304", context
        assert f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}" == payload[-4:], context
        fields = dict(emv_fields(payload))
        assert [f for f, _ in emv_fields(payload)] == ["00", "26", "52", "53", "54", "58", "59", "60", "62", "63"]
        assert dict(emv_fields(fields["26"]))["00"] == "br.gov.bcb.pix", context
        assert len(fields["54"]) <= 13 and len(fields["59"]) <= 25 and len(fields["60"]) <= 15, context
        assert dict(emv_fields(fields["62"])) == {"05": f"PED{order.pk}"}, context
        decoded = parse_brcode(payload)
        assert decoded["key"] == key_in_payload, context
        assert decoded["amount"] == amount == order.total, context
        assert decoded["merchant_name"] == emv_folded(name)[:25].rstrip(), context
        assert decoded["merchant_city"] == emv_folded(city)[:15].rstrip().upper(), context
        assert decoded["txid"] == f"PED{order.pk}", context


def test_the_independent_crc_agrees_with_the_published_check_value():
    # CRC-16/CCITT-FALSE check value of "123456789" (the catalogue's standard test vector).
    assert crc16_ccitt_false(b"123456789") == 0x29B1
