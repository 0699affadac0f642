from rest_framework import serializers

from customers.models import Customer
from leads.models import Lead
from tenants.api import CompanyScopedModelSerializer


class CustomerSerializer(CompanyScopedModelSerializer):
    class Meta:
        model = Customer
        fields = ("id", "name", "phone", "email", "opted_out_at", "created_at", "updated_at")
        read_only_fields = fields


class LeadSerializer(CompanyScopedModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    # Already a customer: the person has a completed order (leads.recovery.leads_with_customer_flag).
    is_customer = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Lead
        fields = (
            "id",
            "customer",
            "source",
            "external_id",
            "form_id",
            "name",
            "phone",
            "phone_raw",
            "email",
            "size",
            "extra",
            "submitted_at",
            "email_sent",
            "whatsapp_sent",
            "is_customer",
        )
        read_only_fields = tuple(f for f in fields if f not in ("email_sent", "whatsapp_sent"))
