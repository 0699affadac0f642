"""Carts (the bot's baskets and imported WooCommerce carts), their items, and the session context."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import DeliveryZone, Product
from customers.models import Customer
from orders.models import Order
from tenants.models import CompanyOwned


class Cart(CompanyOwned):
    class Source(models.TextChoices):
        WHATSAPP = "whatsapp", _("WhatsApp bot")
        WOOCOMMERCE = "woocommerce", _("WooCommerce")

    class Status(models.TextChoices):
        # Bot: being filled. WooCommerce "normal": the shopper is still on the site.
        OPEN = "open", _("Open")
        # Bot: became an order. WooCommerce "completed": the plugin saw the purchase.
        CHECKED_OUT = "checked_out", _("Checked out")
        # Bot: idle past cart_abandoned_reminder_min, reminder sent once; still editable (goes back to open).
        REMINDED = "reminded", _("Reminded")
        # WooCommerce "abandoned": left on the site; recovery matching decides what happened next.
        ABANDONED = "abandoned", _("Abandoned")
        # Bot: idle past cart_abandoned_cancel_min (or cancelled by the customer); never reopened.
        CANCELLED = "cancelled", _("Cancelled")
        # An abandoned cart whose customer ordered within the recovery window (recovery matching).
        RECOVERED = "recovered", _("Recovered")
        # WooCommerce "lost", or the recovery window closed with no order.
        LOST = "lost", _("Lost")

    # CartFlows `order_status` -> our status (SPEC §7); anything unknown is treated as abandoned.
    WOOCOMMERCE_STATUS = {
        "normal": Status.OPEN,
        "abandoned": Status.ABANDONED,
        "completed": Status.CHECKED_OUT,
        "lost": Status.LOST,
    }
    EDITABLE = (Status.OPEN, Status.REMINDED)

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="carts", verbose_name=_("customer")
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.WHATSAPP)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    delivery_zone = models.ForeignKey(
        DeliveryZone, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("delivery zone")
    )
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="carts", verbose_name=_("order")
    )
    # Imported carts: the source's own status (CartFlows order_status), the e-mail as typed (lowercased when
    # a valid address) and the phone in E.164 they were recorded with, and what was wrong with the row.
    external_status = models.CharField(_("status at the source"), max_length=16, blank=True)
    contact_email = models.CharField(_("e-mail as given"), max_length=254, blank=True)
    contact_phone = models.CharField(_("phone as given"), max_length=20, blank=True)
    import_warning = models.TextField(_("import warning"), blank=True)
    # Recovery (leads.recovery.recovery_refresh): the first order of the same person in the window.
    recovery_order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("recovering order")
    )
    # Imported carts carry the source's own total; bot carts compute theirs from the items.
    external_total = models.DecimalField(
        _("total at the source"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    # Bot: the customer's last change (sweeps measure idleness from here). Imported: the cart's time.
    last_activity_at = models.DateTimeField(_("last activity at"))
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    email_sent = models.BooleanField(_("email sent"), default=False)
    whatsapp_sent = models.BooleanField(_("WhatsApp sent"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            # One open bot cart per customer, even when two messages are processed at once.
            models.UniqueConstraint(
                fields=["company", "customer"],
                condition=Q(source="whatsapp", status__in=["open", "reminded"]),
                name="cart_one_open_per_customer",
            ),
            models.UniqueConstraint(
                fields=["company", "source", "external_id"], condition=~Q(external_id=""), name="cart_unique_external"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status", "last_activity_at"], name="cart_company_status_idx"),
            # Abandonment sweeps read only due bot carts, oldest first.
            models.Index(
                fields=["company", "last_activity_at"],
                condition=Q(source="whatsapp", status="open"),
                name="cart_open_due_idx",
            ),
            models.Index(
                fields=["company", "last_activity_at"],
                condition=Q(source="whatsapp", status="reminded"),
                name="cart_reminded_due_idx",
            ),
            # Retention (carts.sweeps.carts_delete_untouched): bot carts not checked out, least recently touched first.
            models.Index(
                fields=["company", "updated_at"],
                condition=Q(source="whatsapp") & ~Q(status="checked_out"),
                name="cart_untouched_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.get_status_display()})"


class CartItem(CompanyOwned):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items", verbose_name=_("cart"))
    # Null for imported items whose product is not in our catalog.
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    name = models.CharField(_("name"), max_length=200)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    # Upper bound is company.max_item_quantity, checked by the services (it varies per company).
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cart item")
        verbose_name_plural = _("cart items")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="cartitem_quantity_positive")]
        indexes = [models.Index(fields=["company", "cart"], name="cartitem_company_cart_idx")]

    def __str__(self) -> str:
        return f"{self.quantity}x {self.name}"


class SessionContext(CompanyOwned):
    """The numbered list last shown to a customer, so "2" or "quero o 2" means something. Expires."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    # [{"n": 1, "kind": "product"|"zone", "id": 12, "name": "Calabresa"}, ...]
    last_list = models.JSONField(_("last list shown"), default=list, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("session context")
        verbose_name_plural = _("session contexts")
        constraints = [models.UniqueConstraint(fields=["company", "customer"], name="sessioncontext_unique_customer")]
        indexes = [models.Index(fields=["expires_at"], name="sessioncontext_expires_idx")]

    def __str__(self) -> str:
        return f"{self.customer} ({len(self.last_list)})"
