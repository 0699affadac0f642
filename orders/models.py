"""Placed orders (from the bot or imported from WooCommerce), their items, and Pix payments."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import DeliveryZone, Product
from customers.models import Customer
from tenants.models import Company, CompanyOwned


class Source(models.TextChoices):
    WHATSAPP = "whatsapp", _("WhatsApp bot")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")


class Order(CompanyOwned):
    # No index of its own: every index below leads with company (imports write 100k orders at a time,
    # and each index costs every insert).
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company"), db_index=False
    )

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")  # placed; payment not asked yet (cash/card, or Pix not created)
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")  # a Pix charge was sent to the customer
        PAID = "paid", _("Paid")  # the payment was confirmed (Pix approved) or staff marked it paid
        PREPARING = "preparing", _("Preparing")  # the kitchen/store is working on it
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")  # on its way
        COMPLETED = "completed", _("Completed")  # delivered; a rating is asked rating_delay_min later
        CANCELLED = "cancelled", _("Cancelled")  # will not happen; any stock taken was given back

    class PaymentMethod(models.TextChoices):
        PIX = "pix", _("Pix")
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")

    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders", verbose_name=_("customer")
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.WHATSAPP)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    # Imported orders: the store's own status as it was read (WooCommerce's, without "wc-"), beside `status`.
    external_status = models.CharField(_("status at the source"), max_length=32, blank=True)
    # The e-mail and phone the order was placed with (the customer may have others); phone in E.164.
    contact_email = models.CharField(_("e-mail as given"), max_length=254, blank=True)
    contact_phone = models.CharField(_("phone as given"), max_length=20, blank=True)
    delivery_zone = models.ForeignKey(  # indexed where set only (order_delivery_zone_idx)
        DeliveryZone,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("delivery zone"),
        db_index=False,
    )
    neighbourhood = models.CharField(_("neighbourhood"), max_length=120, blank=True)
    address = models.TextField(_("address"), blank=True)
    delivery_fee = models.DecimalField(_("delivery fee"), max_digits=8, decimal_places=2, default=0)
    subtotal = models.DecimalField(_("subtotal"), max_digits=10, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=0)
    payment_method = models.CharField(_("payment method"), max_length=8, choices=PaymentMethod.choices, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_requested_at = models.DateTimeField(_("rating requested at"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    placed_at = models.DateTimeField(_("placed at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Unpaid-order sweep: when the "your Pix is waiting" reminder went out.
    payment_reminded_at = models.DateTimeField(_("payment reminder sent at"), null=True, blank=True)
    # ERP push (orders/erp.py): which ERP took the completed order, its id there, or the last error.
    erp_provider = models.CharField(_("ERP"), max_length=16, blank=True)
    erp_id = models.CharField(_("ERP id"), max_length=64, blank=True)
    erp_error = models.TextField(_("ERP error"), blank=True)
    erp_attempts = models.PositiveSmallIntegerField(_("ERP push attempts"), default=0)
    erp_last_try_at = models.DateTimeField(_("ERP last try at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "source", "external_id"], condition=~Q(external_id=""), name="order_unique_external"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="order_rating_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status", "created_at"], name="order_company_status_idx"),
            # A customer's orders (their history, cart recovery and "already a customer" in leads/recovery.py,
            # which look in a time window).
            models.Index(fields=["company", "customer", "placed_at"], name="order_customer_placed_idx"),
            # "Already a customer" (leads/recovery.py): orders placed with a lead's phone.
            models.Index(
                fields=["company", "contact_phone"], condition=~Q(contact_phone=""), name="order_contact_phone_idx"
            ),
            # The dashboard's figures and charts: the orders placed in a period.
            models.Index(fields=["company", "placed_at"], name="order_company_placed_idx"),
            # Rating sweep: only the bot's completed orders not yet asked (imported orders are the store's:
            # their customers are never messaged about them).
            models.Index(
                fields=["company", "completed_at"],
                condition=Q(status="completed", rating_requested_at__isnull=True, source=Source.WHATSAPP),
                name="order_rating_due_idx",
            ),
            # Unpaid sweep: only the bot's orders waiting for their Pix (an imported on-hold order waits
            # for the store, not for a Pix of ours).
            models.Index(
                fields=["company", "placed_at"],
                condition=Q(status="awaiting_payment", source=Source.WHATSAPP),
                name="order_unpaid_due_idx",
            ),
            # Deleting a delivery zone sets its orders' zone to null; imported orders have none.
            models.Index(
                fields=["delivery_zone"], condition=Q(delivery_zone__isnull=False), name="order_delivery_zone_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}" if self.pk else str(_("New order"))

    @property
    def number(self) -> str:
        """What staff call the order: the store's own number for an imported WooCommerce order."""
        if self.source == Source.WOOCOMMERCE and self.external_id:
            return _("Woo #%(number)s") % {"number": self.external_id}
        return f"#{self.pk}" if self.pk else "—"

    @property
    def placed_or_created_at(self):
        """When the customer ordered: the store's date for imported orders, not the import's."""
        return self.placed_at or self.created_at


class OrderItem(CompanyOwned):
    company = models.ForeignKey(  # no index of its own: orderitem_company_order_idx leads with company
        Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company"), db_index=False
    )
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order"))
    product = models.ForeignKey(  # indexed where set only (orderitem_product_idx): imported items have none
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["company", "order"], name="orderitem_company_order_idx"),
            models.Index(fields=["product"], condition=Q(product__isnull=False), name="orderitem_product_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}x {self.name}"


def new_public_id() -> uuid.UUID:
    return uuid.uuid4()


class Payment(CompanyOwned):
    class Provider(models.TextChoices):
        MERCADOPAGO = "mercadopago", "Mercado Pago"
        STATIC_PIX = "static_pix", _("Static Pix key")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")  # charge created, money not seen yet
        APPROVED = "approved", _("Approved")  # money arrived (Mercado Pago) or staff confirmed (static key)
        REJECTED = "rejected", _("Rejected")  # the provider refused it
        CANCELLED = "cancelled", _("Cancelled")  # cancelled or expired at the provider, or the order was cancelled
        REFUNDED = "refunded", _("Refunded")  # money went back (refund or chargeback)

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments", verbose_name=_("order"))
    # The id in URLs (QR image): unguessable, unlike the pk.
    public_id = models.UUIDField(_("public id"), default=new_public_id, editable=False)
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    external_id = models.CharField(_("provider payment id"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    status_detail = models.CharField(_("status detail"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    qr_payload = models.TextField(_("Pix copy-and-paste code"), blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Mercado Pago: the charge is created by its own task after the order commits (orders.payments):
    # how many create calls were made for this row, and why the last one failed.
    charge_attempts = models.PositiveSmallIntegerField(_("charge attempts"), default=0)
    charge_error = models.TextField(_("charge error"), blank=True)
    # Static Pix: nothing confirms it by itself; a staff member does (one click), seeing the receipt
    # the customer sent, if any. Unconfirmed for too long: staff alerted and the customer asked, once.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    receipt_message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("receipt sent by the customer"),
    )
    receipt_received_at = models.DateTimeField(_("receipt received at"), null=True, blank=True)
    alerted_at = models.DateTimeField(_("unconfirmed alert sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "provider", "external_id"],
                condition=~Q(external_id=""),
                name="payment_unique_external",
            ),
            models.UniqueConstraint(fields=["company", "public_id"], name="payment_unique_public_id"),
        ]
        indexes = [
            # The QR image URL finds its payment by public id before any company is known.
            models.Index(fields=["public_id"], name="payment_public_id_idx"),
            models.Index(fields=["company", "order"], name="payment_company_order_idx"),
            models.Index(fields=["company", "provider", "external_id"], name="payment_company_external_idx"),
            # The static-Pix alert sweep reads only pending static charges not alerted yet.
            models.Index(
                fields=["company", "created_at"],
                condition=Q(provider="static_pix", status="pending", alerted_at__isnull=True),
                name="payment_static_unalerted_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.amount} ({self.get_status_display()})"
