from rest_framework import mixins, viewsets

from tenants.api import CompanyScopedViewSetMixin
from tenants.models import CompanySetting, Membership
from tenants.serializers import CompanySettingSerializer, MembershipSerializer


class CompanySettingViewSet(
    CompanyScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    model = CompanySetting
    serializer_class = CompanySettingSerializer


class MembershipViewSet(
    CompanyScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Membership
    serializer_class = MembershipSerializer

    def scope_queryset(self, queryset):
        return queryset.select_related("user").order_by("pk")
