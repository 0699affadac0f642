"""A WhatsApp catalog cart (Meta's `order` message), taken before the flow sees it (a conversations
pre-handler registered in CartsConfig.ready()).

The provider stores it as a message of kind `order` whose text is one "<quantity>x <retailer id>"
line per product, then the customer's note. The retailer id is matched against the products' SKU
(it must equal the content ID of the product in the Meta catalog). Matched products go into the
customer's open cart through the carts service (quantity limits and the stock check apply) at our
own catalog price, never the price in the payload; the answer says what was added, shows the cart
and names the ids that match nothing for sale. The flow stays where it was.
"""

import re

from django.utils.translation import gettext as _

from carts.actions import show_cart
from carts.services import CartError, cart_add_item
from catalog.selectors import products_for_sale_by_sku
from conversations.models import Conversation, Message
from conversations.services.outbound import message_queue_outbound

ITEM_LINE = re.compile(r"^(\d+)x (.+)$")


def order_lines(text: str) -> list[tuple[str, int]]:
    """The (retailer id, quantity) lines of an order message's text; the note's lines are skipped."""
    lines = []
    for line in (text or "").splitlines():
        found = ITEM_LINE.match(line.strip())
        if found:
            lines.append((found.group(2).strip(), int(found.group(1))))
    return lines


def catalog_order_take(*, conversation: Conversation, text: str, message: Message | None = None) -> bool:
    """Put a catalog order's products in the cart and answer; False (nothing done) for any other message."""
    if message is None or message.kind != Message.Kind.ORDER:
        return False
    company, customer = conversation.company, conversation.customer
    lines = order_lines(message.text)
    products = products_for_sale_by_sku(company=company, skus=[sku for sku, _quantity in lines])
    added, problems, unmatched = [], [], []
    for sku, quantity in lines:
        product = products.get(sku)
        if product is None:
            unmatched.append(sku)
            continue
        try:
            cart_add_item(company=company, customer=customer, product=product, quantity=quantity)
        except CartError as exc:
            problems.append(str(exc))
            continue
        added.append(f"{quantity}x {product.name}")
    replies = [_("Added from the catalog: %(items)s.") % {"items": ", ".join(added)}] if added else []
    replies += problems
    if unmatched:
        replies.append(
            _("These catalog items are not for sale here: %(items)s. Send *menu* to see the options.")
            % {"items": ", ".join(unmatched)}
        )
    if added:
        replies += show_cart(conversation)
    if not replies:
        replies.append(_("Your catalog order came without products. Send *menu* to see the options."))
    message_queue_outbound(conversation=conversation, text="\n\n".join(replies), turn_reply=True)  # one send
    return True
