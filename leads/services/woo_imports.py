"""WooCommerce imports: abandoned carts (CartFlows) and orders (classic or HPOS) into Cart and Order.

Each batch of carts is upserted in one transaction: rows are found by (company, source woocommerce,
external_id), created in bulk, updated in bulk only when something changed, and their items are
replaced only when the item lines changed. Orders go through a COPY staging table and one
INSERT ... ON CONFLICT DO UPDATE ... WHERE (changed) per batch, in two transactions per batch: the
batch's customers first (orders_prepare), then its orders and items (orders_write), written by one
of two writer threads while the next batch is prepared (docs/recovery.md). Customers are merged by phone/email
(customer_ids_resolve).
Registered as the "carts" and "orders" importers of `leads.services.imports`.
"""

import threading
from contextlib import closing
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carts.models import Cart, CartItem
from config.db_copy import among, copy_tuples, copy_upsert
from customers.services import KnownCustomers, bulk_update_stamped, customer_ids_resolve, person_of
from integrations.wordpress.carts import ReadFailure, WooAbandonedCart, count_abandoned_carts, read_abandoned_carts
from integrations.wordpress.orders import WooOrder, count_orders, detect_order_storage, read_orders
from integrations.wordpress.sql import site_zone
from leads.models import ImportRun
from leads.progress import progress_set
from leads.services.imports import (
    KindSummary,
    batched,
    fewer_gc_passes,
    read_ahead,
    register_importer,
    write_behind,
)
from leads.source_config import ImportOptions
from orders.models import Order, OrderItem
from orders.models import Source as OrderSource
from tenants.models import Company

CENT = Decimal("0.01")
BATCH_SIZE = 2000  # rows per transaction (and per source read): a few round trips per 10k rows, memory flat
ORDER_WRITERS = 2  # threads (and connections) writing order batches: 100k orders in ~15% less time than one
RECOVERABLE = (Cart.Status.ABANDONED, Cart.Status.LOST)

# WooCommerce order statuses (post_status / wc_orders.status without "wc-") -> ours. Documented in
# docs/recovery.md. Anything else (a plugin's own status) is kept raw in external_status and mapped to pending.
WOO_ORDER_STATUS = {
    "pending": Order.Status.PENDING,  # created, awaiting payment (e.g. boleto/Pix not paid yet)
    "on-hold": Order.Status.AWAITING_PAYMENT,  # awaiting a manual confirmation (bank transfer)
    "processing": Order.Status.PAID,  # paid, to be shipped
    "completed": Order.Status.COMPLETED,  # paid and delivered
    "cancelled": Order.Status.CANCELLED,
    "refunded": Order.Status.CANCELLED,
    "failed": Order.Status.CANCELLED,  # the payment was refused
}
# Not orders at all: block checkout (WooCommerce >= 8.3) writes a checkout-draft each time someone opens
# the checkout; auto-draft/draft are admin screens never saved; trash was deleted by staff. They are not
# imported, and one imported before (when it was still a draft) is removed.
WOO_NOT_ORDERS = frozenset({"checkout-draft", "auto-draft", "draft", "trash"})
CART_FIELDS = (
    "customer",
    "status",
    "external_status",
    "contact_email",
    "contact_phone",
    "external_total",
    "last_activity_at",
    "import_warning",
)
ORDER_COLUMNS = (  # what an import writes of an order, in the order of the staged tuples
    "external_id",
    "customer_id",
    "status",
    "external_status",
    "contact_email",
    "contact_phone",
    "subtotal",
    "total",
    "placed_at",
    "paid_at",
    "completed_at",
)
ORDER_KEY_PREDICATE = "NOT (\"external_id\" = '')"  # the predicate of order_unique_external (partial index)


@lru_cache(maxsize=8192)  # an import sees the same few prices and totals again and again
def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=8192)
def _unit_price(line_total: Decimal, quantity: int) -> Decimal:
    return _money(Decimal(line_total) / quantity) if quantity else _money(line_total)


# --- Carts ---------------------------------------------------------------------------------------


def import_carts(conn, options: ImportOptions, run: ImportRun, summary: KindSummary) -> None:
    prefix = options.source.table_prefix
    window = {"site_timezone": options.site_timezone, "table": options.cart_table}
    total = count_abandoned_carts(conn, prefix, run.period_start, run.period_end, **window)
    done = 0
    progress_set(run.pk, "carts", done=0, total=total)
    rows = read_abandoned_carts(
        conn, prefix, run.period_start, run.period_end, phone_column=options.cart_phone_column, **window
    )
    for batch in batched(rows, BATCH_SIZE):
        counts = KindSummary()
        with transaction.atomic():
            carts_upsert(company=run.company, rows=batch, summary=counts, site_zone=options.site_timezone)
        summary.add(counts)
        done += len(batch)
        progress_set(run.pk, "carts", done=done, total=max(total, done))


def carts_upsert(
    *, company: Company, rows: list[WooAbandonedCart | ReadFailure], summary: KindSummary, site_zone: str = ""
) -> None:
    """Create or update one batch of imported carts and their items. Idempotent by (source, external id)."""
    carts: list[WooAbandonedCart] = []
    for row in rows:
        if isinstance(row, ReadFailure):
            summary.error(f"{row.external_id}: {row.reason}")
        elif row.created_at_utc is None:
            summary.error(f"{row.external_id}: no valid cart time")
        else:
            carts.append(row)
    if not carts:
        return
    manager = Cart.objects.for_company(company)
    existing = {
        cart.external_id: cart
        for cart in manager.filter(source=Cart.Source.WOOCOMMERCE, external_id__in=[c.external_id for c in carts])
    }
    items_now = _items_by_parent(CartItem, company, "cart", [c.pk for c in existing.values()])
    people = [person_of(c.name or "", c.phone_raw or "", c.email or "") for c in carts]
    customer_ids, _created = customer_ids_resolve(company=company, people=people, source=_("cart"))
    new, changed, refill = [], [], []
    for row, person, customer_id in zip(carts, people, customer_ids, strict=True):
        cart = existing.get(row.external_id)
        status = Cart.WOOCOMMERCE_STATUS.get(row.status, Cart.Status.ABANDONED)
        if cart is not None and cart.status == Cart.Status.RECOVERED and status in RECOVERABLE:
            status = Cart.Status.RECOVERED  # recovery (leads.recovery.recovery_refresh) decides, not the source
        values = {
            "customer_id": customer_id,
            "status": status,
            "external_status": (row.status or "")[:16],
            "contact_email": person.email_kept[:254],
            "contact_phone": person.phone,
            "external_total": _money(row.total),
            "last_activity_at": row.created_at_utc,
            "import_warning": _damaged_warning(row, site_zone or company.timezone),
        }
        if values["import_warning"]:
            summary.warn(values["import_warning"])
        lines = [_cart_line(item) for item in row.items]
        if cart is None:
            cart = Cart(company=company, source=Cart.Source.WOOCOMMERCE, external_id=row.external_id, **values)
            new.append((cart, lines))
            continue
        fields_changed = any(getattr(cart, name) != value for name, value in values.items())
        lines_changed = items_now.get(cart.pk, []) != lines
        if fields_changed:
            for name, value in values.items():
                setattr(cart, name, value)
            changed.append(cart)
        if lines_changed:
            refill.append((cart, lines))
        if fields_changed or lines_changed:
            summary.updated += 1
        else:
            summary.skipped += 1
    manager.bulk_create([cart for cart, _lines in new])
    bulk_update_stamped(manager, changed, CART_FIELDS)
    _replace_items(CartItem, company, "cart", refill, new, _cart_item)
    summary.created += len(new)


def _damaged_warning(row: WooAbandonedCart, zone: str) -> str:
    """What staff need to find a damaged source row: its id, e-mail and local time, and what was wrong."""
    if not row.damaged:
        return ""
    when = timezone.localtime(row.created_at_utc, site_zone(zone)).strftime("%d/%m/%Y %H:%M")
    return _(
        "Cart row %(id)s (%(email)s, %(when)s): %(problems)s. Imported from its columns (e-mail, total, time)."
    ) % {"id": row.row_id, "email": row.email or _("no e-mail"), "when": when, "problems": "; ".join(row.damaged)}


def _cart_line(item) -> tuple:
    quantity = max(int(item.quantity or 0), 1)
    name = item.name or (f"#{item.variation_id or item.product_id}" if item.product_id else "?")
    note = ", ".join(f"{key}: {value}" for key, value in sorted(item.variation.items()))
    return (name[:200], quantity, _unit_price(item.line_total, quantity), note[:200])


def _cart_item(company, cart, line) -> CartItem:
    name, quantity, unit_price, note = line
    return CartItem(company=company, cart=cart, name=name, quantity=quantity, unit_price=unit_price, note=note)


# --- Orders --------------------------------------------------------------------------------------


def import_orders(conn, options: ImportOptions, run: ImportRun, summary: KindSummary) -> None:
    prefix = options.source.table_prefix
    storage = detect_order_storage(conn, prefix)
    total = count_orders(conn, prefix, run.period_start, run.period_end, storage=storage)
    done = 0
    progress_set(run.pk, "orders", done=0, total=total)
    rows = read_orders(
        conn,
        prefix,
        run.period_start,
        run.period_end,
        storage=storage,
        site_timezone=options.site_timezone,
        batch_size=BATCH_SIZE,
    )

    def batches():
        with closing(rows):  # the unbuffered read ends in the reading thread, while the connection is open
            yield from batched(rows, BATCH_SIZE)

    def write(prepared: PreparedOrders) -> None:
        nonlocal done
        counts = KindSummary()
        with transaction.atomic():
            orders_write(company=run.company, prepared=prepared, summary=counts)
        with counting:
            summary.add(counts)
            done += prepared.rows_read
            so_far = done
        progress_set(run.pk, "orders", done=so_far, total=max(total, so_far))

    # Stages at once: a thread reads the store, this one resolves customers and builds the rows
    # (committing the customers), two more write the orders and items (see write_behind).
    known = KnownCustomers()  # repeat customers are asked from the database once per run
    counting = threading.Lock()  # the writers count into summary and done
    with fewer_gc_passes(), read_ahead(batches()) as ready, write_behind(write, writers=ORDER_WRITERS) as submit:
        for batch in ready:
            with transaction.atomic():
                prepared = orders_prepare(company=run.company, rows=batch, known=known)
            submit(prepared)


@dataclass
class PreparedOrders:
    """One batch of source orders, ready to write: customers resolved (and committed), rows built."""

    not_orders: list[str]  # external ids of rows that are not orders (WOO_NOT_ORDERS)
    staged: list[tuple]  # ORDER_COLUMNS
    lines_of: dict[str, list[tuple]]  # external id -> item lines (_order_line)

    @property
    def rows_read(self) -> int:
        return len(self.not_orders) + len(self.staged)


def orders_prepare(*, company: Company, rows: list[WooOrder], known: KnownCustomers | None = None) -> PreparedOrders:
    """Resolve (and create) the customers of a batch of source orders and build the rows to write.
    Rows whose status is not an order (WOO_NOT_ORDERS) are set aside, to be counted and removed.
    `known`: the customers earlier batches of the run resolved (see KnownCustomers)."""
    not_orders = [r.external_id for r in rows if r.status in WOO_NOT_ORDERS]
    orders = [r for r in rows if r.status not in WOO_NOT_ORDERS] if not_orders else rows
    people = [person_of(r.billing_name or "", r.billing_phone_raw or "", r.billing_email or "") for r in orders]
    customer_ids, _created = customer_ids_resolve(company=company, people=people, source=_("order"), known=known)
    staged, lines_of = [], {}
    for row, person, customer_id in zip(orders, people, customer_ids, strict=True):
        lines = [_order_line(item.name, item.quantity, item.total) for item in row.items]
        lines_of[row.external_id] = lines
        staged.append(
            (
                row.external_id,
                customer_id,
                WOO_ORDER_STATUS.get(row.status, Order.Status.PENDING),
                (row.status or "")[:32],
                person.email_kept[:254],
                person.phone,
                _money(sum((line[3] for line in lines), Decimal("0"))),
                _money(row.total),
                row.created_at,
                row.paid_at,
                row.completed_at,
            )
        )
    return PreparedOrders(not_orders=not_orders, staged=staged, lines_of=lines_of)


def orders_write(*, company: Company, prepared: PreparedOrders, summary: KindSummary) -> None:
    """Write one prepared batch of orders and their items, set-based.

    The orders go by COPY into a staging table and one INSERT ... ON CONFLICT DO UPDATE ... WHERE a
    value changed (unchanged rows keep their updated_at); the items of new orders or of orders whose
    lines changed are replaced by one DELETE and one COPY. Rows that are not orders are counted as
    ignored and, if an earlier import brought them in (when they were still drafts), deleted."""
    if prepared.not_orders:
        summary.ignored += len(prepared.not_orders)
        Order.objects.for_company(company).filter(
            source=OrderSource.WOOCOMMERCE, external_id__in=prepared.not_orders
        ).delete()
    if not prepared.staged:
        return
    lines_of = prepared.lines_of
    written = copy_upsert(
        Order,
        fixed={"company_id": company.pk, "source": OrderSource.WOOCOMMERCE},
        columns=ORDER_COLUMNS,
        rows=prepared.staged,
        conflict=("company_id", "source", "external_id"),
        conflict_where=ORDER_KEY_PREDICATE,
        key="external_id",
    )
    created = {key: order_id for key, (order_id, inserted) in written.items() if inserted}
    existing, items_now = _orders_with_lines(company, [key for key in lines_of if key not in created])
    refill = {key: order_id for key, order_id in existing.items() if items_now.get(order_id, []) != lines_of[key]}
    if refill:
        OrderItem.objects.for_company(company).filter(order_id__in=list(refill.values())).delete()
    copy_tuples(
        OrderItem,
        ("company_id", "order_id", "name", "quantity", "unit_price", "total"),
        [
            (company.pk, order_id, *line)
            for key, order_id in (*refill.items(), *created.items())
            for line in lines_of[key]
        ],
    )
    summary.created += len(created)
    updated = len((written.keys() - created.keys()) | refill.keys())
    summary.updated += updated
    summary.skipped += len(existing) - updated


def _orders_with_lines(company: Company, keys: list[str]) -> tuple[dict[str, int], dict[int, list[tuple]]]:
    """{external id: id} of the imported orders with these external ids, and their current item lines as
    comparable tuples in id order, in one query (orders left-joined to their items)."""
    if not keys:
        return {}, {}
    mine = Order.objects.for_company(company).filter(among(Order, "external_id", keys), source=OrderSource.WOOCOMMERCE)
    # external_id <> '' is the predicate of order_unique_external: with it, that index answers.
    found = mine.exclude(external_id="").order_by("items__id")
    ids, lines = {}, {}
    for key, order_id, item_id, *line in found.values_list(
        "external_id", "id", "items__id", *(f"items__{name}" for name in _LINE_FIELDS[OrderItem])
    ):
        ids[key] = order_id
        if item_id is not None:
            lines.setdefault(order_id, []).append(tuple(line))
    return ids, lines


@lru_cache(maxsize=8192)  # the same products at the same prices, order after order
def _order_line(name: str, quantity: int, total: Decimal) -> tuple:
    quantity = max(int(quantity or 0), 1)
    return (name[:200], quantity, _unit_price(total, quantity), _money(total))


# --- Items of both -------------------------------------------------------------------------------

_LINE_FIELDS = {
    CartItem: ("name", "quantity", "unit_price", "note"),
    OrderItem: ("name", "quantity", "unit_price", "total"),
}


def _items_by_parent(model, company: Company, parent: str, parent_ids: list[int]) -> dict[int, list[tuple]]:
    """The current item lines of many carts/orders in one query, as comparable tuples, in id order."""
    if not parent_ids:
        return {}
    lines: dict[int, list[tuple]] = {}
    query = model.objects.for_company(company).filter(among(model, parent, parent_ids)).order_by("id")
    for values in query.values_list(f"{parent}_id", *_LINE_FIELDS[model]):
        lines.setdefault(values[0], []).append(tuple(values[1:]))
    return lines


def _replace_items(model, company: Company, parent: str, refill, new, build) -> None:
    """Replace the items of changed parents (one delete) and insert the lines of all (one bulk insert)."""
    manager = model.objects.for_company(company)
    if refill:
        manager.filter(**{f"{parent}_id__in": [p.pk for p, _lines in refill]}).delete()
    items = [build(company, p, line) for p, lines in (*refill, *new) for line in lines]
    if items:
        manager.bulk_create(items)


register_importer("carts", import_carts)
register_importer("orders", import_orders)
