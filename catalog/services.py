"""Writes of the catalog: the one stock operation, and the company's default delivery fee."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from catalog.lock_objects import product_qs_select_for_update
from catalog.models import Product, StockMovement
from tenants.models import Company, CompanySetting
from tenants.services import company_setting_get, company_setting_set

DEFAULT_DELIVERY_FEE_KEY = "default_delivery_fee"


class OutOfStock(Exception):
    """The product has less stock than asked; nothing was changed."""

    def __init__(self, product: Product, requested: int):
        self.product = product
        self.requested = requested
        super().__init__(_("Not enough stock of %(name)s.") % {"name": product.name})


def stock_move(*, product: Product, delta: int, reason: str, reference: str = "") -> StockMovement | None:
    """Change `product`'s stock by `delta` and record it; the stock never goes below zero.

    One conditional UPDATE (`stock = stock + delta WHERE stock + delta >= 0`): under Read
    Committed a concurrent update waits for the first and re-checks the condition, so check and
    change are one atomic step per row. Raises OutOfStock (nothing written) when it would go
    negative. Products with unlimited stock (None) are left alone and None is returned.
    Runs in the caller's transaction when there is one (checkout takes every item or none).
    """
    if delta == 0:
        raise ValueError("delta must not be zero")
    products = Product.objects.for_company(product.company_id).filter(pk=product.pk)
    with transaction.atomic():
        updated = products.filter(stock__isnull=False, stock__gte=-delta).update(stock=F("stock") + delta)
        if not updated:
            current = products.values_list("stock", flat=True).first()
            if current is None:
                return None  # unlimited stock (or a deleted product): nothing to count
            raise OutOfStock(product, -delta)
        # We hold the row lock from the UPDATE until commit, so this is our own result.
        stock_after = products.values_list("stock", flat=True).get()
        product.stock = stock_after
        return StockMovement.objects.for_company(product.company_id).create(
            company_id=product.company_id,
            product=product,
            delta=delta,
            reason=reason,
            reference=reference[:100],
            stock_after=stock_after,
        )


@transaction.atomic
def stock_set(*, product: Product, quantity: int | None, reference: str = "") -> StockMovement | None:
    """Set the stock to `quantity` (staff count) through a movement of the difference; None = unlimited."""
    locked = product_qs_select_for_update(company=product.company_id).get(pk=product.pk)
    if quantity is None or locked.stock is None:
        Product.objects.for_company(product.company_id).filter(pk=product.pk).update(stock=quantity)
        if quantity is None:
            product.stock = None
            return None
        product.stock = quantity
        return StockMovement.objects.for_company(product.company_id).create(
            company_id=product.company_id,
            product=product,
            delta=quantity,
            reason=StockMovement.Reason.INITIAL,
            reference=reference,
            stock_after=quantity,
        )
    if quantity < 0:
        raise ValueError("stock cannot be negative")
    delta = quantity - locked.stock
    if delta == 0:
        product.stock = quantity
        return None
    return stock_move(product=product, delta=delta, reason=StockMovement.Reason.ADJUSTMENT, reference=reference)


def default_delivery_fee_get(*, company: Company) -> Decimal:
    """The fee charged when the customer's neighbourhood is not a delivery zone (0 when unset)."""
    value = company_setting_get(company=company, key=DEFAULT_DELIVERY_FEE_KEY, default=None)
    return Decimal(str(value).replace(",", ".")) if value not in (None, "") else Decimal("0.00")


def default_delivery_fee_set(*, company: Company, fee: Decimal) -> None:
    """Store the default fee as a CompanySetting (text, so no float rounding)."""
    if fee < 0:
        raise ValueError("fee cannot be negative")
    company_setting_set(
        company=company,
        key=DEFAULT_DELIVERY_FEE_KEY,
        value=str(fee.quantize(Decimal("0.01"))),
        value_type=CompanySetting.ValueType.STRING,
        description="Default delivery fee (BRL)",
    )
