from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog.api.serializers import (
    CategorySerializer,
    DeliveryZoneSerializer,
    ProductSerializer,
    ProductStockInputSerializer,
)
from catalog.models import Category, DeliveryZone, Product
from catalog.services import stock_set
from tenants.api import CompanyScopedViewSetMixin

CRUD = (
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
)


class CategoryViewSet(CompanyScopedViewSetMixin, *CRUD, viewsets.GenericViewSet):
    model = Category
    serializer_class = CategorySerializer


class ProductViewSet(CompanyScopedViewSetMixin, *CRUD, viewsets.GenericViewSet):
    """Products. `POST /api/products/<id>/stock/ {"quantity": n}` sets the stock through the ledger."""

    model = Product
    serializer_class = ProductSerializer

    def scope_queryset(self, queryset):
        queryset = queryset.select_related("category").order_by("position", "name", "id")
        if self.request.query_params.get("active") in ("true", "1"):
            queryset = queryset.filter(active=True)
        return queryset

    @extend_schema(request=ProductStockInputSerializer, responses={200: ProductSerializer})
    @action(detail=True, methods=["post"])
    def stock(self, request, pk=None):
        product = self.get_object()
        data = ProductStockInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stock_set(product=product, quantity=data.validated_data["quantity"], reference=f"api:{request.user.pk}")
        return Response(ProductSerializer(product, context=self.get_serializer_context()).data)


class DeliveryZoneViewSet(CompanyScopedViewSetMixin, *CRUD, viewsets.GenericViewSet):
    model = DeliveryZone
    serializer_class = DeliveryZoneSerializer
