from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.models import Order, OrderItem, Payment
from orders.selectors import children
from tenants.api import CompanyScopedModelSerializer


class OrderItemSerializer(CompanyScopedModelSerializer):
    class Meta:
        model = OrderItem
        fields = ("id", "product", "name", "quantity", "unit_price", "total", "note")


class PaymentSerializer(CompanyScopedModelSerializer):
    class Meta:
        model = Payment
        fields = ("public_id", "provider", "external_id", "status", "amount", "expires_at", "approved_at")


class OrderSerializer(CompanyScopedModelSerializer):
    items = serializers.SerializerMethodField()
    payments = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = (
            "id", "customer", "source", "external_id", "status", "delivery_zone", "neighbourhood", "address",
            "delivery_fee", "subtotal", "total", "payment_method", "rating", "rating_requested_at", "placed_at",
            "paid_at", "completed_at", "cancelled_at", "created_at", "items", "payments",
        )  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OrderItemSerializer(many=True))
    def get_items(self, obj):
        return OrderItemSerializer(children(obj, "items", OrderItem), many=True, context=self.context).data

    @extend_schema_field(PaymentSerializer(many=True))
    def get_payments(self, obj):
        return PaymentSerializer(children(obj, "payments", Payment), many=True, context=self.context).data


class OrderTransitionInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices)
