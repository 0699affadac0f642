"""Pix BR Code (EMV QRCPS-MPM) payloads: build a static "copia e cola" code, parse and check one.

A BR Code is a string of TLV fields (2-digit id, 2-digit length, value) closed by field 63, a
CRC-16/CCITT-FALSE over the whole payload up to and including "6304", as 4 upper-case hex digits.
Layout written by `build_static_brcode` (BCB "Manual de Padrões para Iniciação do Pix", static code):

    00 "01"                     payload format
    26 Pix merchant account     00 "br.gov.bcb.pix", 01 key, 02 description (optional)
    52 "0000"  53 "986"         category code, currency (BRL)
    54 amount (optional)        "10.00"
    58 "BR"  59 name (<= 25)  60 city (<= 15)
    62 additional data          05 txid ("***" when none)
    63 CRC16
"""

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from integrations.text import strip_accents

PIX_GUI = "br.gov.bcb.pix"
CURRENCY_BRL = "986"
MAX_NAME = 25
MAX_CITY = 15
MAX_TXID = 25
MAX_FIELD = 99  # a TLV length has two digits
MAX_AMOUNT_CHARS = 13  # field 54 limit in the EMV spec
MAX_EMAIL = 77  # DICT limit for e-mail keys
NO_TXID = "***"

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PHONE = re.compile(r"^\+55[1-9]{2}\d{8,9}$")
_EMAIL = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}$")
_TXID = re.compile(r"^[A-Za-z0-9]+$")
_DOCUMENT_MASK = re.compile(r"^[\d.\-/ ]+$")
_PHONE_SEPARATORS = re.compile(r"[\s().\-]")
_PHONE_MASK = re.compile(r"^[\d\s().\-]+$")
_CPF_MASK = re.compile(r"^\d{3}\.\d{3}\.\d{3}-\d{2}$")


class PixKeyKind(StrEnum):
    CPF = "cpf"
    CNPJ = "cnpj"
    PHONE = "phone"
    EMAIL = "email"
    EVP = "evp"


class InvalidBRCode(ValueError):
    """The payload is not a well-formed Pix BR Code (bad TLV, CRC mismatch, no Pix account)."""


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of `data` (poly 0x1021, init 0xFFFF, no reflection, xorout 0);
    "123456789" gives 0x29B1."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def normalize_pix_key(key: str) -> tuple[PixKeyKind, str]:
    """Classify a Pix key and write it as the DICT stores it: CPF/CNPJ digits (mask removed, check
    digits verified), "+55..." phone (E.164, separators removed), lower-case e-mail, lower-case
    random key (EVP UUID). ValueError when it is not a valid key of any kind.

    Phones are read in any usual spelling: "+55 11 98765-4321", "(11) 98765-4321", "11987654321",
    "55 11 98765 4321". Eleven digits that are a valid CPF are a CPF unless written with the area
    code in parentheses; a CPF written with its mask ("123.456.789-09") is always one.
    """
    raw = (key or "").strip()
    if not raw:
        raise ValueError("Pix key is empty")
    if raw.startswith("+"):
        phone = _PHONE_SEPARATORS.sub("", raw)
        if not _PHONE.match(phone):
            raise ValueError("Pix phone key must be +55, a 2-digit area code and 8 or 9 digits")
        return PixKeyKind.PHONE, phone
    if "@" in raw:
        email = raw.lower()
        if len(email) > MAX_EMAIL or not _EMAIL.match(email):
            raise ValueError("Pix e-mail key is not a valid e-mail address")
        return PixKeyKind.EMAIL, email
    if _UUID.match(raw.lower()):
        return PixKeyKind.EVP, raw.lower()
    if _DOCUMENT_MASK.match(raw) or _PHONE_MASK.match(raw):
        digits = re.sub(r"\D", "", raw)
        phone_spelling = "(" in raw
        if len(digits) == 11 and not phone_spelling and _cpf_is_valid(digits):
            return PixKeyKind.CPF, digits
        if len(digits) == 14 and _cnpj_is_valid(digits):
            return PixKeyKind.CNPJ, digits
        phone = _national_phone(digits)
        if phone is not None and (phone_spelling or not _CPF_MASK.match(raw)):
            return PixKeyKind.PHONE, phone
        if len(digits) == 11:
            raise ValueError("Pix CPF key has invalid check digits")
        if len(digits) == 14:
            raise ValueError("Pix CNPJ key has invalid check digits")
    raise ValueError("Pix key must be a CPF, CNPJ, +55 phone, e-mail or random key (UUID)")


def _national_phone(digits: str) -> str | None:
    """ "+55…" for a Brazilian number written with its area code (and maybe 55 before it), else None.
    Mobile numbers have 9 digits starting with 9; landlines 8 digits starting with 2 to 5."""
    if len(digits) in (12, 13) and digits.startswith("55"):
        digits = digits[2:]
    if len(digits) not in (10, 11) or digits[0] == "0" or digits[1] == "0":
        return None
    number = digits[2:]
    if len(number) == 9 and number[0] != "9":
        return None
    if len(number) == 8 and number[0] not in "2345":
        return None
    return "+55" + digits


def build_static_brcode(
    *,
    key: str,
    merchant_name: str,
    merchant_city: str,
    amount: Decimal | None = None,
    txid: str | None = None,
    description: str | None = None,
) -> str:
    """A reusable static Pix BR Code for `key`, with optional fixed amount, txid and description.

    Text is reduced to the EMV character set (accents stripped, other non-ASCII dropped, spaces
    collapsed); the city is upper-cased; name, city and description are cut to their limits. The
    name keeps its case, as in the BCB manual's own example ("Fulano de Tal"). `amount` must be a
    Decimal > 0 with at most 2 decimal places; `txid` at most 25 letters or digits. ValueError
    (saying which field) for anything invalid.
    """
    _, pix_key = normalize_pix_key(key)
    name = emv_text(merchant_name, MAX_NAME)
    city = emv_text(merchant_city, MAX_CITY).upper()
    if not name:
        raise ValueError("merchant name is empty")
    if not city:
        raise ValueError("merchant city is empty")

    account = _tlv("00", PIX_GUI) + _tlv("01", pix_key)
    room = MAX_FIELD - len(account) - 4  # 4 = id and length of sub-field 02
    info = emv_text(description or "", max(room, 0))
    if info:
        account += _tlv("02", info)

    payload = _tlv("00", "01") + _tlv("26", account) + _tlv("52", "0000") + _tlv("53", CURRENCY_BRL)
    if amount is not None:
        payload += _tlv("54", _amount_text(amount))
    payload += _tlv("58", "BR") + _tlv("59", name) + _tlv("60", city)
    payload += _tlv("62", _tlv("05", _txid_text(txid)))
    return _with_crc(payload)


def parse_brcode(payload: str) -> dict:
    """The fields of any Pix BR Code (static or dynamic), after checking its CRC and TLV structure;
    InvalidBRCode (a ValueError) when it is malformed.

    Keys: "fields" (top-level id -> raw value, in order), "key", "url", "description" (from the Pix
    account template), "amount" (Decimal or None), "merchant_name", "merchant_city", "txid",
    "one_time" (field 01 == "12"), "crc".
    """
    payload = (payload or "").strip()
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise InvalidBRCode("BR Code must end with the CRC field 6304XXXX")
    expected = f"{crc16_ccitt(payload[:-4].encode('utf-8')):04X}"
    if payload[-4:].upper() != expected:
        raise InvalidBRCode(f"BR Code CRC mismatch: payload says {payload[-4:]}, content gives {expected}")

    fields = _parse_tlv(payload)
    if next(iter(fields)) != "00" or fields["00"] != "01":
        raise InvalidBRCode("BR Code must start with payload format 000201")
    account = _pix_account(fields)
    additional = _parse_tlv(fields["62"]) if "62" in fields else {}
    return {
        "fields": fields,
        "key": account.get("01"),
        "url": account.get("25"),
        "description": account.get("02"),
        "amount": _parse_amount(fields.get("54")),
        "merchant_name": fields.get("59"),
        "merchant_city": fields.get("60"),
        "txid": additional.get("05"),
        "one_time": fields.get("01") == "12",
        "crc": fields["63"],
    }


def _tlv(field_id: str, value: str) -> str:
    if len(value) > MAX_FIELD:
        raise ValueError(f"BR Code field {field_id} is longer than {MAX_FIELD} characters")
    return f"{field_id}{len(value):02d}{value}"


def _with_crc(payload_without_crc: str) -> str:
    body = payload_without_crc + "6304"
    return body + f"{crc16_ccitt(body.encode('utf-8')):04X}"


def emv_text(value: str, limit: int) -> str:
    """ASCII printable text without accents, single-spaced, cut to `limit` characters."""
    ascii_text = "".join(ch for ch in strip_accents(value) if " " <= ch <= "~")
    return " ".join(ascii_text.split())[:limit].rstrip()


def _amount_text(amount: Decimal) -> str:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise ValueError("amount must be a Decimal (floats lose cents)")
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0:
        raise ValueError("amount must be greater than zero")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("amount must have at most 2 decimal places")
    text = f"{amount:.2f}"
    if len(text) > MAX_AMOUNT_CHARS:
        raise ValueError(f"amount must fit in {MAX_AMOUNT_CHARS} characters")
    return text


def _txid_text(txid: str | None) -> str:
    if txid is None or txid in ("", NO_TXID):
        return NO_TXID
    if len(txid) > MAX_TXID or not _TXID.match(txid):
        raise ValueError(f"txid must be 1 to {MAX_TXID} letters or digits")
    return txid


def _parse_tlv(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    position = 0
    while position < len(text):
        header = text[position : position + 4]
        if len(header) < 4 or not (header.isascii() and header.isdigit()):
            raise InvalidBRCode(f"BR Code has a malformed field header at position {position}")
        size = int(header[2:])
        value = text[position + 4 : position + 4 + size]
        if len(value) != size:
            raise InvalidBRCode(f"BR Code field {header[:2]} is shorter than its length {size}")
        fields[header[:2]] = value
        position += 4 + size
    if not fields:
        raise InvalidBRCode("BR Code is empty")
    return fields


def _pix_account(fields: dict[str, str]) -> dict[str, str]:
    # Merchant account templates live in ids 26..51; the Pix one is marked by its GUI.
    for field_id, value in fields.items():
        if 26 <= int(field_id) <= 51:
            template = _parse_tlv(value)
            if template.get("00", "").lower() == PIX_GUI:
                return template
    raise InvalidBRCode("BR Code has no Pix merchant account (GUI br.gov.bcb.pix)")


def _parse_amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise InvalidBRCode(f"BR Code amount {text!r} is not a number") from exc


def _cpf_is_valid(digits: str) -> bool:
    if digits == digits[0] * 11:
        return False
    numbers = [int(d) for d in digits]
    for size in (9, 10):
        total = sum(n * weight for n, weight in zip(numbers[:size], range(size + 1, 1, -1), strict=True))
        if (total * 10 % 11) % 10 != numbers[size]:
            return False
    return True


def _cnpj_is_valid(digits: str) -> bool:
    if digits == digits[0] * 14:
        return False
    numbers = [int(d) for d in digits]
    for size in (12, 13):
        weights = [(i % 8) + 2 for i in range(size)][::-1]
        total = sum(n * w for n, w in zip(numbers[:size], weights, strict=True))
        remainder = total % 11
        if (0 if remainder < 2 else 11 - remainder) != numbers[size]:
            return False
    return True
