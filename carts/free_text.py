"""Flow action "order_free_text": a free-text order ("2 pizzas de calabresa grandes e uma coca 2l")
read into cart lines, by the LLM when configured, else by the rule-based parser (SPEC §9).

Settings: the company's LLM page (llm_api_key, llm_base_url, llm_model: carts/setting_keys.py), else
the platform's `GROQ_API_KEY` (empty = rules only), `LLM_BASE_URL`, `LLM_MODEL`. The LLM's answer is
validated against the company's catalog by `integrations.llm.parse_order_text` (no invented
products, names or prices); a failing, slow or rejected call falls back to the rules. The call is
never made inside the conversation's locked transaction: see `conversations.outside_calls`.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carts.actions import NotAccepted, hook, show_cart
from carts.services import CartError, cart_add_item
from catalog.selectors import products_for_sale
from conversations.outside_calls import outside_call
from flows import actions
from integrations.llm import LlmCredentials, ParseResult, parse_order_text
from integrations.order_text import CatalogItem
from tenants.services import company_setting_get

ACTION_NAME = "order_free_text"
LLM_API_KEY, LLM_BASE_URL, LLM_MODEL = "llm_api_key", "llm_base_url", "llm_model"


def llm_credentials(company=None) -> LlmCredentials | None:
    """The company's own LLM account when it set a key, else the platform's from settings, or None
    (rules only) when neither has a key."""
    own_key = company_setting_get(company=company, key=LLM_API_KEY) if company is not None else None
    if own_key:
        return LlmCredentials(
            api_key=own_key,
            base_url=company_setting_get(company=company, key=LLM_BASE_URL) or settings.LLM_BASE_URL,
            model=company_setting_get(company=company, key=LLM_MODEL) or settings.LLM_MODEL,
        )
    api_key = settings.GROQ_API_KEY
    if not api_key:
        return None
    return LlmCredentials(api_key=api_key, base_url=settings.LLM_BASE_URL, model=settings.LLM_MODEL)


def order_free_text(conversation, text: str) -> list[str]:
    """Put what `text` orders in the customer's open cart (through the carts service: quantity limits
    and the stock check apply); reply with what was added and the cart, and ask about the parts that
    were not understood. When nothing could be added the answer is NotAccepted: the flow keeps
    waiting on the same step."""
    company, customer = conversation.company, conversation.customer
    for_sale = {p.pk: p for p in products_for_sale(company=company)}
    catalog = [CatalogItem(product_id=p.pk, name=p.name, price=p.price) for p in for_sale.values()]
    parsed = _read(company, text or "", catalog)
    added, problems = [], []
    for line in parsed.lines:
        product = for_sale.get(line.product_id)
        if product is None:
            continue  # parse_order_text only answers catalog ids; a product just withdrawn is skipped
        try:
            result = cart_add_item(
                company=company, customer=customer, product=product, quantity=line.quantity, note=line.note
            )
        except CartError as exc:
            problems.append(str(exc))
            continue
        added += [f"{line.quantity}x {product.name}" for _item in result.added]
    replies = [_("Added: %(items)s.") % {"items": ", ".join(added)}] if added else []
    replies += problems
    if added:
        replies += show_cart(conversation)
    if parsed.unmatched:
        replies.append(
            _("I did not understand: %(items)s. Which product did you mean? Send *menu* to see the options.")
            % {"items": ", ".join(f"“{piece}”" for piece in parsed.unmatched)}
        )
    if not added:
        return NotAccepted(replies or [_("I did not understand your order. Send *menu* to see the options.")])
    return replies


def _read(company, text: str, catalog: list[CatalogItem]) -> ParseResult:
    """The order lines in `text`. The LLM is called outside the turn's transaction
    (`outside_call`: processing reads first, then runs the turn again); the rules need no network."""
    limit = company.max_item_quantity
    creds = llm_credentials(company)
    if creds is None or not text.strip():
        return parse_order_text(text, catalog, None, max_quantity=limit)
    return outside_call(
        (ACTION_NAME, company.pk, text),
        lambda: parse_order_text(text, catalog, creds, max_quantity=limit),
        fallback=lambda: parse_order_text(text, catalog, None, max_quantity=limit),
    )


def order_free_text_dry_run(conversation, text: str) -> list[str]:
    """The dry-run simulator calls no AI service: it says what would happen."""
    return [_("(dry run) The order written freely would be read by the AI service here: “%(text)s”.") % {"text": text}]


def register() -> None:
    actions.register(
        ACTION_NAME,
        hook(order_free_text, order_free_text_dry_run),
        description=gettext_lazy("Understands an order written freely (needs the AI key) and fills the cart."),
    )
