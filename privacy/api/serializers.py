from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from privacy.models import PrivacyRequest
from privacy.services.erase import MAX_REASON_CHARS
from tenants.api import CompanyScopedModelSerializer


class PrivacyRequestSerializer(CompanyScopedModelSerializer):
    """An export or erasure request: its state, what it did (row counts), and no personal data."""

    class Meta:
        model = PrivacyRequest
        fields = (
            "id",
            "kind",
            "status",
            "customer_ref",
            "requested_by",
            "reason",
            "counts",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields


class ErasureInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_REASON_CHARS,
        help_text=_("Why the data is erased; no name, e-mail or phone of the person (it is kept)."),
    )
