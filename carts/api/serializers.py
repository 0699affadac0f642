from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from carts.models import Cart, CartItem
from orders.selectors import children
from tenants.api import CompanyScopedModelSerializer


class CartItemSerializer(CompanyScopedModelSerializer):
    class Meta:
        model = CartItem
        fields = ("id", "product", "name", "unit_price", "quantity", "note")


class CartSerializer(CompanyScopedModelSerializer):
    items = serializers.SerializerMethodField()
    # Imported carts: recovered / waiting / abandoned ("" for bot carts and carts still being filled).
    recovery_status = serializers.CharField(read_only=True, default="")

    class Meta:
        model = Cart
        fields = (
            "id", "customer", "source", "external_id", "status", "delivery_zone", "order", "external_total",
            "last_activity_at", "reminded_at", "closed_at", "email_sent", "whatsapp_sent", "created_at", "items",
            "recovery_status", "recovery_order", "contact_email", "contact_phone", "import_warning",
        )  # fmt: skip
        read_only_fields = tuple(f for f in fields if f not in ("email_sent", "whatsapp_sent"))

    @extend_schema_field(CartItemSerializer(many=True))
    def get_items(self, obj):
        return CartItemSerializer(children(obj, "items", CartItem), many=True, context=self.context).data
