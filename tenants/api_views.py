from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from tenants.api import CompanyScopedViewSetMixin
from tenants.models import ApiToken, CompanySetting, Membership
from tenants.permissions import OTHERS_TOKENS, role_in
from tenants.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenSerializer,
    CompanySettingSerializer,
    MembershipSerializer,
)
from tenants.services import api_token_create


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


class ApiTokenViewSet(
    CompanyScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own API tokens in this company (an owner also sees and revokes the others').

    A new token is always the caller's: there is no user field. It carries the caller's role,
    re-read on every request, so it never does more than its user may.
    """

    model = ApiToken
    serializer_class = ApiTokenSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "api-tokens"

    def scope_queryset(self, queryset):
        if not role_in(self.request.company_access, OTHERS_TOKENS):
            queryset = queryset.filter(user=self.request.user)
        return queryset.select_related("user").order_by("pk")

    @extend_schema(responses={201: ApiTokenCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = api_token_create(company=request.company, user=request.user, name=serializer.validated_data["name"])
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)
