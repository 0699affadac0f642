"""LGPD requests; owners and managers only (tenants.permissions).

- `GET /api/customers/<id>/data-export/` and `POST /api/customers/<id>/erase/` (beside the
  customers' own routes). A person with at most PRIVACY_INLINE_MAX_ROWS rows is served at once
  (the zip; the erasure record, 200); a longer history is queued and answered 202 with the request.
- `GET /api/privacy-requests/[<id>/]`: the requests and where they stand (status, counts, error);
  `GET /api/privacy-requests/<id>/download/`: a finished export's zip, while it is kept.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.models import Customer
from privacy.api.serializers import ErasureInputSerializer, PrivacyRequestSerializer
from privacy.downloads import export_download
from privacy.models import PrivacyRequest
from privacy.services import privacy_request_start
from tenants.api import CompanyScopedViewSetMixin

ANSWER = {
    PrivacyRequest.Status.SUCCEEDED: status.HTTP_200_OK,
    PrivacyRequest.Status.QUEUED: status.HTTP_202_ACCEPTED,
    PrivacyRequest.Status.RUNNING: status.HTTP_202_ACCEPTED,
    PrivacyRequest.Status.FAILED: status.HTTP_503_SERVICE_UNAVAILABLE,
}


class CustomerPrivacyViewSet(CompanyScopedViewSetMixin, viewsets.GenericViewSet):
    model = Customer
    serializer_class = PrivacyRequestSerializer

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(description="dados.json and arquivos/ of the person"),
            202: PrivacyRequestSerializer,
        }
    )
    @action(detail=True, methods=["get"], url_path="data-export")
    def data_export(self, request, pk=None):
        """Every row of the customer in every app (dados.json) and the files they sent (arquivos/)."""
        customer = self.get_object()
        done = privacy_request_start(
            company=request.company,
            customer=customer,
            kind=PrivacyRequest.Kind.EXPORT,
            requested_by=request.user.get_username(),
        )
        if done.status == PrivacyRequest.Status.SUCCEEDED:
            return export_download(done)
        return Response(PrivacyRequestSerializer(done).data, status=ANSWER[done.status])

    @extend_schema(
        request=ErasureInputSerializer, responses={200: PrivacyRequestSerializer, 202: PrivacyRequestSerializer}
    )
    @action(detail=True, methods=["post"], url_path="erase")
    def erase(self, request, pk=None):
        """Erase the customer: orders and payments stay, anonymised; everything else is deleted."""
        customer = self.get_object()
        payload = ErasureInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        done = privacy_request_start(
            company=request.company,
            customer=customer,
            kind=PrivacyRequest.Kind.ERASURE,
            requested_by=request.user.get_username(),
            reason=payload.validated_data["reason"],
        )
        return Response(PrivacyRequestSerializer(done).data, status=ANSWER[done.status])


class PrivacyRequestViewSet(
    CompanyScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Exports and erasures asked for, newest first."""

    model = PrivacyRequest
    serializer_class = PrivacyRequestSerializer

    def scope_queryset(self, queryset):
        return queryset.order_by("-created_at", "-id")

    @extend_schema(responses={(200, "application/zip"): OpenApiResponse(description="the export's zip")})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """A finished export's zip; 404 when it is not an export, not finished, or no longer kept."""
        return export_download(self.get_object())
