import pytest

from customers.phones import mask_phone, normalize_phone, phone_match_keys, whatsapp_id_phone, whatsapp_link

# (as typed, expected E.164). Shapes seen in checkout forms, Form Vibes leads and WhatsApp webhooks.
CASES = [
    # mobiles as typed in Brazil
    ("(11) 98765-4321", "+5511987654321"),
    ("11987654321", "+5511987654321"),
    ("11 98765 4321", "+5511987654321"),
    ("(85) 9 8888-7777", "+5585988887777"),
    ("5511987654321", "+5511987654321"),
    ("55 11 98765-4321", "+5511987654321"),
    ("+55 11 98765-4321", "+5511987654321"),
    ("+55 (11) 98765-4321", "+5511987654321"),
    ("+55 (011) 98765-4321", "+5511987654321"),
    ("+5511987654321", "+5511987654321"),
    ("+55 5511987654321", "+5511987654321"),  # dial-code picker + number typed with 55
    ("0055 11 98765-4321", "+5511987654321"),
    ("011 98765-4321", "+5511987654321"),
    ("0 21 11 98765-4321", "+5511987654321"),  # trunk 0 + carrier selection code 21
    (11987654321, "+5511987654321"),  # read from a numeric column
    # the ninth digit inserted for old 8-digit mobiles (6-9)
    ("(11) 8765-4321", "+5511987654321"),
    ("021 11 8765-4321", "+5511987654321"),
    ("+55 31 9876-5432", "+5531998765432"),
    ("(71) 6543-2100", "+5571965432100"),
    # 12-digit WhatsApp ids of accounts registered before the change
    ("553198765432", "+5531998765432"),
    ("553198765432@s.whatsapp.net", "+5531998765432"),
    ("5511987654321@c.us", "+5511987654321"),
    # area code 55 (Rio Grande do Sul) is not the country code
    ("55 99123-4567", "+5555991234567"),
    ("(55) 99123-4567", "+5555991234567"),
    ("55 5599123-4567", "+5555991234567"),
    ("+55 55 9912-3456", "+5555999123456"),
    ("555599123456", "+5555999123456"),
    # landlines: never a ninth digit
    ("(11) 3333-4444", "+551133334444"),
    ("21 2222-3333", "+552122223333"),
    ("(61) 3035-2000", "+556130352000"),
    ("(51) 5555-1234", "+555155551234"),
    ("011 3333-4444", "+551133334444"),
    # foreign numbers kept when valid and written internationally
    ("+1 650 253 0000", "+16502530000"),
    ("+351 912 345 678", "+351912345678"),
    ("0044 20 7946 0958", "+442079460958"),
    # garbage, too short, impossible
    ("", None),
    ("   ", None),
    (None, None),
    (True, None),
    ("abc", None),
    ("n/a", None),
    ("123", None),
    ("98765-4321", None),  # no area code: cannot be placed
    ("(10) 98765-4321", None),  # no DDD 10
    ("(11) 88765-4321", None),  # 9 digits must start with 9
    ("+55 11 98765-4321 / 3333-4444", None),  # two numbers in one field
    ("+1 555", None),
    ("+999 123456789", None),
    ("1" * 70, None),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(11) 98765-4321", {"+5511987654321", "+551187654321"}),
        ("553198765432", {"+5531998765432", "+553198765432"}),
        ("55 99123-4567", {"+5555991234567", "+555591234567"}),
        # the 8-digit tail starts with 3: without the 9 it would be a landline, so no short key
        ("(11) 93333-4444", {"+5511933334444"}),
        ("(11) 3333-4444", {"+551133334444"}),
        ("+1 650 253 0000", {"+16502530000"}),
        ("garbage", set()),
        (None, set()),
    ],
)
def test_phone_match_keys(raw, expected):
    assert phone_match_keys(raw) == expected


def test_match_keys_of_both_whatsapp_id_forms_overlap():
    assert phone_match_keys("553198765432") == phone_match_keys("+55 31 99876-5432")


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+5511987654321", "+5511*****4321"),
        ("+551133334444", "+5511****4444"),
        ("(11) 98765-4321", "11*****4321"),
        ("+16502530000", "+16*****0000"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(phone, expected):
    assert mask_phone(phone) == expected


def test_whatsapp_link_encodes_text():
    link = whatsapp_link("+5511987654321", "Olá, João! 50% & frete")

    assert link == "https://wa.me/5511987654321?text=Ol%C3%A1%2C%20Jo%C3%A3o%21%2050%25%20%26%20frete"


def test_whatsapp_link_normalises_and_omits_empty_text():
    assert whatsapp_link("(11) 8765-4321") == "https://wa.me/5511987654321"


def test_whatsapp_link_rejects_invalid_phone():
    with pytest.raises(ValueError):
        whatsapp_link("123", "oi")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5511987654321@s.whatsapp.net", "+5511987654321"),
        ("551187654321@s.whatsapp.net", "+5511987654321"),  # registered before the ninth digit
        ("5511987654321:12@s.whatsapp.net", "+5511987654321"),  # a linked device's JID
        ("447911123456@c.us", "+447911123456"),  # foreign: WhatsApp ids carry the country code
        ("120363025246125486@g.us", None),  # a group
        ("86623917576279@lid", None),  # an anonymous id, not a phone
        ("", None),
        (None, None),
    ],
)
def test_whatsapp_id_phone(value, expected):
    assert whatsapp_id_phone(value) == expected
