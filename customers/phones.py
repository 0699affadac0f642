"""The project's one phone normaliser: Brazilian numbers as typed, WhatsApp ids, foreign numbers → E.164.

Everything that stores, compares or links a phone goes through `normalize_phone` first, so that the
same person is found whether the number came from a checkout form, a Form Vibes lead, a WhatsApp
webhook or an old spreadsheet.

Rules (Brazil, country code 55; see research/real-schemas.md §7):

- Input with "+" or the international prefix "00" is parsed as international (for +55, a trunk
  ``0`` or a repeated ``55`` typed after it is dropped, as dial-code pickers produce). Anything else is read
  as Brazilian: national digits are DDD (area code, 2 digits) + subscriber (8 or 9 digits).
- Accepted Brazilian shapes, after dropping every non-digit character:
  * 10/11 digits: ``DD NNNN-NNNN`` / ``DD 9NNNN-NNNN`` — always national, so ``55 99123-4567`` is
    DDD 55 (Rio Grande do Sul), never the country code;
  * 12/13 digits starting with 55: country code + national number (``5511987654321``; the 12-digit
    form is a WhatsApp id of an account registered before the ninth digit);
  * a leading trunk ``0``: ``0 DD ...`` (11/12 digits) or ``0 CC DD ...`` with a two-digit carrier
    selection code (13/14 digits, e.g. ``0 21 11 98765-4321``).
  Numbers without an area code (8/9 digits) cannot be placed and give None.
- The ninth digit: a subscriber number of 8 digits starting with 6-9 is an old mobile number, so
  ``9`` is inserted after the DDD (every Brazilian mobile got it by the end of 2016; `phonenumbers`
  never inserts it). Subscriber numbers starting with 2-5 are landlines and stay 8 digits.
- The result must be a number `phonenumbers` considers valid, else None.
"""

import re
from urllib.parse import quote

import phonenumbers

BRAZIL_COUNTRY_CODE = "55"
LEGACY_MOBILE_FIRST_DIGITS = frozenset("6789")  # 8-digit mobiles before the ninth digit (Anatel 553/2010)
MAX_INPUT_LENGTH = 64  # longer text is not a phone number someone typed
WHATSAPP_JID_SUFFIX = re.compile(r"@(s\.whatsapp\.net|c\.us)$", re.IGNORECASE)
NON_DIGITS = re.compile(r"\D")


def normalize_phone(raw: object) -> str | None:
    """The E.164 form (``+5511987654321``) of a phone as typed, or None when it cannot be one.

    Accepts str or int (as read from databases), WhatsApp JIDs (``5511...@s.whatsapp.net``) and the
    Brazilian shapes described in the module docstring; foreign numbers need ``+`` or ``00`` and are
    kept in E.164 when valid. Never raises for bad input.
    """
    if raw is None or isinstance(raw, bool):
        return None
    text = WHATSAPP_JID_SUFFIX.sub("", str(raw).strip())
    if not text or len(text) > MAX_INPUT_LENGTH:
        return None
    digits = NON_DIGITS.sub("", text)
    if text.startswith("+"):
        return _international(digits)
    if digits.startswith("00"):
        return _international(digits[2:])
    national = _brazilian_national(digits)
    return _brazilian_e164(national) if national else None


_BUSINESS_SCOPED_ID = re.compile(r"^[A-Za-z]{2}\.")


def whatsapp_id_phone(value: str | None) -> str | None:
    """E.164 of a provider's phone digits or WhatsApp JID: Brazilian rules first (the ninth digit),
    then the digits read as international (WhatsApp ids always carry the country code). `@lid` and
    `@g.us` ids are not phones, nor Meta's business-scoped user ids (`BR.1502576394655843`): None."""
    if not value or _BUSINESS_SCOPED_ID.match(value):
        return None
    phone = normalize_phone(value)
    if phone is not None:
        return phone
    local, _, domain = value.partition("@")
    if domain and domain.lower() not in ("s.whatsapp.net", "c.us"):
        return None
    digits = "".join(char for char in local.split(":", 1)[0] if char.isdigit())
    return normalize_phone(f"+{digits}") if digits else None


def phone_match_keys(phone: object) -> set[str]:
    """Every E.164 form under which the same person may be stored, for matching across sources.

    A Brazilian mobile whose last 8 digits start with 6-9 also yields the form without the ninth
    digit (``+5511987654321`` → also ``+551187654321``), the one old WhatsApp ids and records use.
    Mobiles like ``+5511933334444`` get no such key, since ``+551133334444`` is a landline.
    Empty set when the phone does not normalise.
    """
    e164 = normalize_phone(phone)
    if e164 is None:
        return set()
    keys = {e164}
    national = _national_of_brazilian(e164)
    if national and len(national) == 11 and national[2] == "9" and national[3] in LEGACY_MOBILE_FIRST_DIGITS:
        keys.add(f"+{BRAZIL_COUNTRY_CODE}{national[:2]}{national[3:]}")
    return keys


def mask_phone(phone: object) -> str:
    """A phone safe for logs: country code, area code and last 4 digits only (``+5511*****4321``).

    Works on E.164 and on raw text alike; short or empty input is fully masked.
    """
    if phone is None:
        return ""
    text = str(phone).strip()
    digits = NON_DIGITS.sub("", text)
    sign = "+" if text.startswith("+") else ""
    if len(digits) < 8:
        return "*" * len(digits)
    shown_head = 4 if digits.startswith(BRAZIL_COUNTRY_CODE) and len(digits) >= 12 else 2
    return f"{sign}{digits[:shown_head]}{'*' * (len(digits) - shown_head - 4)}{digits[-4:]}"


def whatsapp_link(phone: object, text: str = "") -> str:
    """A click-to-chat link ``https://wa.me/5511987654321?text=...`` with the text URL-encoded.

    Raises ValueError when the phone does not normalise (a link to nobody is a bug upstream).
    """
    e164 = normalize_phone(phone)
    if e164 is None:
        raise ValueError("not a valid phone number")
    link = f"https://wa.me/{e164[1:]}"
    return f"{link}?text={quote(text, safe='')}" if text else link


def _international(digits: str) -> str | None:
    if digits.startswith(BRAZIL_COUNTRY_CODE):
        national = digits[len(BRAZIL_COUNTRY_CODE) :]
        if national.startswith("0"):
            national = national[1:]  # "+55 (011) ..." happens in forms
        elif len(national) in (12, 13) and national.startswith(BRAZIL_COUNTRY_CODE):
            national = national[2:]  # a dial-code picker prepended +55 to "5511..."; no national number is 12+ digits
        return _brazilian_e164(national) if len(national) in (10, 11) else None
    return _valid_e164(f"+{digits}")


def _brazilian_national(digits: str) -> str | None:
    """DDD + subscriber digits from digits typed without "+", or None when the shape is unknown."""
    if digits.startswith("0"):
        rest = digits[1:]
        if len(rest) in (10, 11):
            return rest
        if len(rest) in (12, 13):
            return rest[2:]  # carrier selection code (e.g. 21 Embratel, 41 TIM)
        return None
    if len(digits) in (10, 11):
        return digits
    if len(digits) in (12, 13) and digits.startswith(BRAZIL_COUNTRY_CODE):
        return digits[2:]
    return None


def _brazilian_e164(national: str) -> str | None:
    area, subscriber = national[:2], national[2:]
    if area[0] == "0" or area[1] == "0":
        return None  # no DDD has a zero digit
    if len(subscriber) == 8 and subscriber[0] in LEGACY_MOBILE_FIRST_DIGITS:
        subscriber = "9" + subscriber
    elif len(subscriber) == 9 and subscriber[0] != "9":
        return None
    return _valid_e164(f"+{BRAZIL_COUNTRY_CODE}{area}{subscriber}")


def _valid_e164(candidate: str) -> str | None:
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _national_of_brazilian(e164: str) -> str | None:
    prefix = f"+{BRAZIL_COUNTRY_CODE}"
    return e164[len(prefix) :] if e164.startswith(prefix) else None
