"""A company's worth of dashboard data in bulk: `orders` orders and everything around them,
spread over the last `days` days (bulk inserts, so 100k orders take minutes, not hours).

Per order: two items, one message in and one out; every other order paid by Pix; every tenth
order has a reminded bot cart (half checked out into it) and an imported WooCommerce cart (half of
them recovered by this customer's order); every tenth a lead. Shared by the dashboard tests
(10 vs 10,000 orders) and bench/dashboard_page.py (100k).
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from carts.models import Cart
from conversations.models import Channel, Conversation, InboundEvent, Message
from customers.models import Customer
from leads.models import Lead
from leads.recovery import recovery_refresh
from orders.models import Order, OrderItem, Payment, Source

DAYS = 40  # default spread: most rows fall in a 30-day period
PRODUCTS = ("Calabresa", "Margherita", "Portuguesa", "Frango com catupiry", "Quatro queijos", "Refrigerante 2L")
STATUSES = (
    Order.Status.COMPLETED,
    Order.Status.PAID,
    Order.Status.AWAITING_PAYMENT,
    Order.Status.PREPARING,
    Order.Status.CANCELLED,
    Order.Status.OUT_FOR_DELIVERY,
    Order.Status.PENDING,
)
BATCH = 5000


def _when(now, n: int, days: int):
    """The n-th row's time: spread over `days` days, at one of 12 hours of the day (few distinct
    values, so stamping them afterwards is a few hundred updates, not one per row)."""
    return now - timedelta(days=n % days, hours=(n // days) % 12)


def _stamp(model, rows, field: str, values) -> None:
    """auto_now_add fields ignore given values on insert: set them afterwards, grouped by value."""
    by_value: dict = {}
    for row, value in zip(rows, values, strict=True):
        by_value.setdefault(value, []).append(row.pk)
    for value, ids in by_value.items():
        for start in range(0, len(ids), BATCH):
            model._base_manager.filter(pk__in=ids[start : start + BATCH]).update(**{field: value})


def dashboard_sample_fill(company, *, orders: int, days: int = DAYS, now=None, marker: str = "") -> None:
    now = now or timezone.now()
    day_of = [_when(now, n, days) for n in range(orders)]
    customers = Customer.objects.for_company(company).bulk_create(
        [
            Customer(company=company, name=f"{marker}Cliente {n}", phone=f"+55119{n:08d}", email=f"c{n}@example.com")
            for n in range(max(1, orders // 2))
        ],
        batch_size=BATCH,
    )
    channel = Channel.objects.for_company(company).create(company=company, name=f"{marker}principal")
    conversations = Conversation.objects.for_company(company).bulk_create(
        [
            Conversation(company=company, channel=channel, customer=customer, bot_paused=n % 5 == 0)
            for n, customer in enumerate(customers)
        ],
        batch_size=BATCH,
    )
    placed = Order.objects.for_company(company).bulk_create(
        [
            Order(
                company=company,
                customer=customers[n % len(customers)],
                status=STATUSES[n % len(STATUSES)],
                payment_method=Order.PaymentMethod.PIX if n % 2 == 0 else Order.PaymentMethod.CASH,
                subtotal=Decimal(40 + n % 50),
                total=Decimal(40 + n % 50),
                placed_at=day_of[n],
                source=Source.WHATSAPP,
            )
            for n in range(orders)
        ],
        batch_size=BATCH,
    )
    OrderItem.objects.for_company(company).bulk_create(
        [
            OrderItem(
                company=company,
                order=order,
                name=f"{marker}{PRODUCTS[(n + k) % len(PRODUCTS)]}",
                quantity=1 + k,
                unit_price=Decimal(20),
                total=Decimal(20 * (1 + k)),
            )
            for n, order in enumerate(placed)
            for k in range(2)
        ],
        batch_size=BATCH,
    )
    pix = [(n, order) for n, order in enumerate(placed) if n % 2 == 0]
    payments = Payment.objects.for_company(company).bulk_create(
        [
            Payment(
                company=company,
                order=order,
                provider=Payment.Provider.STATIC_PIX,
                amount=order.total,
                status=Payment.Status.APPROVED if n % 4 == 0 else Payment.Status.PENDING,
            )
            for n, order in pix
        ],
        batch_size=BATCH,
    )
    _stamp(Payment, payments, "created_at", [day_of[n] for n, _ in pix])
    messages = Message.objects.for_company(company).bulk_create(
        [
            Message(
                company=company,
                conversation=conversations[n % len(conversations)],
                channel=channel,
                direction=direction,
                text=f"{marker}mensagem {n}",
                status=(Message.Status.FAILED if n % 9 == 0 else Message.Status.SENT)
                if direction == Message.Direction.OUTBOUND
                else Message.Status.PROCESSED,
            )
            for n in range(orders)
            for direction in (Message.Direction.INBOUND, Message.Direction.OUTBOUND)
        ],
        batch_size=BATCH,
    )
    _stamp(Message, messages, "created_at", [day_of[n] for n in range(orders) for _ in range(2)])
    tenth = range(0, orders, 10)
    Cart.objects.for_company(company).bulk_create(
        [
            Cart(
                company=company,
                customer=customers[n % len(customers)],
                source=Cart.Source.WHATSAPP,
                status=Cart.Status.CHECKED_OUT if n % 20 == 0 else Cart.Status.CANCELLED,
                order=placed[n] if n % 20 == 0 else None,
                last_activity_at=day_of[n],
                reminded_at=day_of[n],
            )
            for n in tenth
        ]
        + [
            Cart(
                company=company,
                customer=customers[(n if n % 20 == 0 else n + 1) % len(customers)],
                source=Cart.Source.WOOCOMMERCE,
                external_id=f"{marker}woo-{n}",
                status=Cart.Status.ABANDONED,
                external_total=Decimal(80),
                last_activity_at=day_of[n] - timedelta(hours=1),
            )
            for n in tenth
        ],
        batch_size=BATCH,
    )
    Lead.objects.for_company(company).bulk_create(
        [
            Lead(
                company=company,
                customer=customers[n % len(customers)],
                external_id=f"{marker}lead-{n}",
                name=f"{marker}Lead {n}",
                phone=customers[n % len(customers)].phone,
                submitted_at=day_of[n],
            )
            for n in tenth
        ],
        batch_size=BATCH,
    )
    InboundEvent.objects.for_company(company).create(company=company, channel=channel, body="{}")
    recovery_refresh(company)  # as an import does: each imported cart's recovering order is stored
