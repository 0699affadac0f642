"""The company's catalog: categories, products with an optional stock and its ledger, delivery zones."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import CompanyOwned


class Category(CompanyOwned):
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="category_unique_name")]

    def __str__(self) -> str:
        return self.name


class Product(CompanyOwned):
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="products", verbose_name=_("category")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    # A Meta catalog order names products by this code (carts.catalog_order).
    sku = models.CharField(
        _("SKU"),
        max_length=64,
        blank=True,
        help_text=_(
            "Your code for the product, unique in the company. For WhatsApp catalog orders to reach the cart it "
            "must equal the product's content ID (retailer ID) in the Meta catalog."
        ),
    )
    # None = unlimited (made to order). Changed only by catalog.services.stock_move.
    stock = models.IntegerField(_("stock"), null=True, blank=True, help_text=_("Empty means unlimited."))
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["position", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "sku"], condition=~Q(sku=""), name="product_unique_sku"),
            # Backstop of stock_move: an oversell bug surfaces as an IntegrityError, never as -1 pizzas.
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="product_stock_not_negative"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]
        indexes = [models.Index(fields=["company", "active", "category"], name="product_company_active_idx")]

    def __str__(self) -> str:
        return self.name


class StockMovement(CompanyOwned):
    """One change of a product's stock; the stock always equals the sum of its ledger."""

    class Reason(models.TextChoices):
        INITIAL = "initial", _("Initial stock")  # first count when stock tracking starts
        RESTOCK = "restock", _("Restock")  # goods arrived
        ADJUSTMENT = "adjustment", _("Adjustment")  # manual correction by staff
        SALE = "sale", _("Sale")  # taken by an order at checkout
        RETURN = "return", _("Returned")  # given back by a cancelled order

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="movements", verbose_name=_("product"))
    delta = models.IntegerField(_("change"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True, help_text=_("e.g. order:42"))
    stock_after = models.IntegerField(_("stock after"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "product", "created_at"], name="stockmove_company_product_idx")]

    def __str__(self) -> str:
        return f"{self.product} {self.delta:+d} ({self.get_reason_display()})"


def neighbourhood_check(value: str) -> None:
    """A neighbourhood the bot can match: letters, not only spaces or digits."""
    if not any(ch.isalpha() for ch in value or ""):
        raise ValidationError(_("Type the neighbourhood's name."))


class DeliveryZone(CompanyOwned):
    neighbourhood = models.CharField(_("neighbourhood"), max_length=120, validators=[neighbourhood_check])
    # A fee of R$ 1.000 or more is a typo (a missing comma), not a delivery fee.
    fee = models.DecimalField(
        _("delivery fee"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("999.99"))],
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("delivery zone")
        verbose_name_plural = _("delivery zones")
        ordering = ["neighbourhood"]
        constraints = [
            models.UniqueConstraint(fields=["company", "neighbourhood"], name="deliveryzone_unique_neighbourhood"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="deliveryzone_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.neighbourhood
