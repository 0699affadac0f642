"""Bot controls: who may be answered right now, opt-out words, and the per-conversation rate limit.

Every automatic message passes `outbound_block_reason()` (called by the one outbound choke point),
so a control switched here silences every flow at once.

Test mode exists so a live number can be tested safely: the test contact talks to the draft of the
bot while every other customer keeps getting the published version. Only the flows app knows
whether a company has a published version, so it registers that check here
(`published_bot_check_register`, from its AppConfig.ready()): conversations never imports flows.
Without a published version, test mode answers the test contact only.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.core.cache import cache

from config.cache import cache_or
from conversations.models import Conversation, Message
from customers.phones import normalize_phone
from customers.selectors import TEST_CUSTOMER_KEY
from integrations.text import fold
from tenants.models import Company
from tenants.services import company_setting_get

# Whole-message match, case/accent/punctuation-insensitive: "Sair!" and "parar" opt out, while
# "quero cancelar o pedido" does not (in a shop, CANCELAR inside a sentence is about an order).
OPT_OUT_WORDS = frozenset({"sair", "parar", "stop", "cancelar"})


class BlockReason:
    OPTED_OUT = "opted_out"
    BOT_DISABLED = "bot_disabled"
    BOT_PAUSED = "bot_paused"
    MAINTENANCE = "maintenance"
    HANDOFF = "handoff"
    TEST_MODE = "test_mode"
    RATE_LIMITED = "rate_limited"


OPT_OUT_WORDS_SETTING = "opt_out_words"  # the company's own words, comma-separated (empty: OPT_OUT_WORDS)
OPT_OUT_MESSAGE_SETTING = "opt_out_message"  # sent once to a customer who opts out (empty: nothing)


def opt_out_words(company: Company) -> frozenset[str]:
    """The company's opt-out words (folded), or the default ones."""
    return opt_out_words_of(company_setting_get(company=company, key=OPT_OUT_WORDS_SETTING, default=""))


def opt_out_words_of(setting) -> frozenset[str]:
    """The opt-out words of a stored OPT_OUT_WORDS_SETTING value (folded; None or empty: the defaults)."""
    own = frozenset(fold(word) for word in str(setting or "").split(",") if fold(word))
    return own or OPT_OUT_WORDS


def is_opt_out(text: str, words: frozenset[str] = OPT_OUT_WORDS) -> bool:
    """True when the whole message is one opt-out word ("SAIR", "Parar.", "stop", "Cancelar")."""
    return fold(text) in words


# provider_contact_ids key marking a staff member's console-chat customer (see customers.selectors).
SIMULATOR_CONTACT_KEY = TEST_CUSTOMER_KEY


def is_simulator_contact(customer) -> bool:
    """True for a staff member's console-chat customer: it counts as a test contact (talks to the
    draft, test mode does not silence it) and opt-out words do not opt it out."""
    return SIMULATOR_CONTACT_KEY in (customer.provider_contact_ids or {})


def is_test_contact(company: Company, customer) -> bool:
    """True when `customer` is the company's test contact (by phone or by a provider contact id),
    or a staff member's console-chat customer."""
    if is_simulator_contact(customer):
        return True
    wanted = (company.test_contact or "").strip()
    if not wanted:
        return False
    if customer.phone and normalize_phone(wanted) == customer.phone:
        return True
    return wanted in {str(value) for value in (customer.provider_contact_ids or {}).values()}


PublishedBotCheck = Callable[[Company], bool]
_published_bot_checks: list[PublishedBotCheck] = []


def published_bot_check_register(check: PublishedBotCheck) -> PublishedBotCheck:
    """Register `check(company) -> bool`: True when the company has a published bot that customers
    other than the test contact may talk to while test mode is on. Registering twice is a no-op."""
    if check not in _published_bot_checks:
        _published_bot_checks.append(check)
    return check


def published_bot_check_unregister(check: PublishedBotCheck) -> None:
    if check in _published_bot_checks:
        _published_bot_checks.remove(check)


def company_has_published_bot(company: Company) -> bool:
    """Whether a registered check says the company's customers have a published bot to talk to."""
    return any(check(company) for check in _published_bot_checks)


def outbound_block_reason(conversation: Conversation, *, notice: bool = False, turn_reply: bool = False) -> str | None:
    """Why an automatic message may not go to this conversation now, or None when it may.

    `notice=True` is the maintenance notice itself: allowed while the bot is in maintenance.
    `turn_reply=True` is the bot's answer to a turn processing let through: a hand-off made by
    that very turn does not silence its last words. In test
    mode a customer other than the test contact is answered only when the company has a published
    bot (they get that version, the test contact gets the draft); one query more, in test mode only.
    """
    company = conversation.company
    customer = conversation.customer
    if customer.opted_out_at is not None:
        return BlockReason.OPTED_OUT
    if not company.bot_enabled:
        return BlockReason.BOT_DISABLED
    if company.bot_status == Company.BotStatus.PAUSED:
        return BlockReason.BOT_PAUSED
    if company.bot_status == Company.BotStatus.MAINTENANCE and not notice:
        return BlockReason.MAINTENANCE
    if conversation.bot_paused and not turn_reply:
        return BlockReason.HANDOFF
    if company.test_mode and not is_test_contact(company, customer) and not company_has_published_bot(company):
        return BlockReason.TEST_MODE
    return None


def rate_limit_exceeded(conversation: Conversation, *, now: float | None = None) -> bool:
    """Count one inbound message for this conversation's current minute; True past the company's limit.

    A fixed one-minute window in the cache (Redis INCR; the database cache without Redis). Past the
    limit, messages are still stored, just not answered. When the cache is configured but down, the
    stored inbound messages of the minute are counted instead: slower, never a lost delivery.
    """
    limit = conversation.company.webhook_rate_limit_per_min
    if not limit:
        return False
    now = now or time.time()
    minute = int(now // 60)
    count = cache_or(
        None,
        lambda: _cache_count(f"conv-rate:{conversation.pk}:{minute}"),
        event="rate_limit_cache_unavailable",
        conversation_id=conversation.pk,
    )
    if count is None:  # the cache is down: the database decides
        count = _stored_inbound_count(conversation, since=minute * 60)
    return count > limit


def _cache_count(key: str) -> int:
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        return 1


def _stored_inbound_count(conversation: Conversation, *, since: float) -> int:
    """Inbound messages stored for the conversation since `since` (the one being counted included)."""
    return (
        Message.objects.for_company(conversation.company_id)
        .filter(
            conversation=conversation,
            direction=Message.Direction.INBOUND,
            created_at__gte=datetime.fromtimestamp(since, tz=UTC),
        )
        .count()
    )
