from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from tenants.api import CompanyScopedModelSerializer
from tenants.crypto import mask_secret
from tenants.models import ApiToken, CompanySetting, Membership, validate_setting_value
from tenants.scoping import require_company_id
from tenants.settings_registry import setting_spec


class CompanySettingSerializer(CompanyScopedModelSerializer):
    """A typed setting. Secrets are write-only: read back masked."""

    secret_value = serializers.CharField(write_only=True, required=False, allow_blank=True)
    masked_secret = serializers.SerializerMethodField()

    class Meta:
        model = CompanySetting
        fields = ("id", "key", "value_type", "value", "secret_value", "masked_secret", "description", "updated_at")
        read_only_fields = ("updated_at",)

    def get_masked_secret(self, obj) -> str:
        return mask_secret(obj.secret_value)

    def validate(self, attrs):
        key = attrs.get("key", getattr(self.instance, "key", ""))
        spec = setting_spec(key)
        if "value_type" not in attrs and self.instance is None and spec is not None:
            attrs["value_type"] = spec.value_type  # default: the type the key is declared with
        value_type = attrs.get("value_type", getattr(self.instance, "value_type", CompanySetting.ValueType.STRING))
        value = attrs.get("value", getattr(self.instance, "value", None))
        secret = attrs.get("secret_value") or getattr(self.instance, "secret_value", "")
        try:
            validate_setting_value(value_type, value, secret, key=key)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class MembershipSerializer(CompanyScopedModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ("id", "username", "role", "created_at")
        read_only_fields = fields


class ApiTokenSerializer(CompanyScopedModelSerializer):
    """One's own API token: the key is in the answer to its creation only, masked afterwards."""

    username = serializers.CharField(source="user.username", read_only=True)
    masked_key = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ("id", "name", "username", "masked_key", "created_at", "last_used_at")
        read_only_fields = ("created_at", "last_used_at")
        extra_kwargs = {"name": {"required": True}}

    def get_masked_key(self, obj) -> str:
        return mask_secret(obj.key)

    def validate_name(self, value):
        user = self.context["request"].user
        if ApiToken.objects.for_company(require_company_id()).filter(user=user, name=value).exists():
            raise serializers.ValidationError(_("You already have a token with this name."))
        return value


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True)

    class Meta(ApiTokenSerializer.Meta):
        fields = (*ApiTokenSerializer.Meta.fields, "key")
