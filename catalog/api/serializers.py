from rest_framework import serializers

from catalog.models import Category, DeliveryZone, Product
from tenants.api import CompanyScopedModelSerializer


class CategorySerializer(CompanyScopedModelSerializer):
    class Meta:
        model = Category
        fields = ("id", "name", "position", "active")


class ProductSerializer(CompanyScopedModelSerializer):
    # Stock is read-only here: it changes through the ledger (POST .../stock/).
    stock = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Product
        fields = ("id", "category", "name", "description", "price", "sku", "stock", "active", "position")


class ProductStockInputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, max_value=1_000_000, allow_null=True)


class DeliveryZoneSerializer(CompanyScopedModelSerializer):
    class Meta:
        model = DeliveryZone
        fields = ("id", "neighbourhood", "fee", "active")
