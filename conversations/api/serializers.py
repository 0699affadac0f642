import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.public_url import public_url
from conversations.models import Channel, Conversation, Message
from conversations.providers import channel_credentials, credentials_validate_urls
from conversations.services import ResumePoint
from integrations.destinations import validate_public_url
from tenants.api import CompanyScopedModelSerializer
from tenants.crypto import mask_secret


class ChannelSerializer(CompanyScopedModelSerializer):
    credentials = serializers.DictField(write_only=True, required=False, help_text="Tokens and keys (write only).")
    masked_credentials = serializers.SerializerMethodField()
    inbound_url = serializers.SerializerMethodField()

    class Meta:
        model = Channel
        fields = (
            "id", "provider", "name", "base_url", "status", "phone", "last_seen_at", "reconnect_attempts",
            "created_at", "inbound_url", "credentials", "masked_credentials",
        )  # fmt: skip
        read_only_fields = ("status", "phone", "last_seen_at", "reconnect_attempts", "created_at")

    def get_masked_credentials(self, obj) -> dict:
        return {key: mask_secret(str(value)) for key, value in channel_credentials(obj).items()}

    def get_inbound_url(self, obj) -> str:
        return public_url(reverse("webhook", args=[obj.inbound_key]), self.context.get("request"))

    def validate_base_url(self, value):
        if value:
            try:
                validate_public_url(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc
        return value

    def validate_credentials(self, value):
        try:
            credentials_validate_urls(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return json.dumps(value)


class ConversationSerializer(CompanyScopedModelSerializer):
    unread_count = serializers.SerializerMethodField(
        help_text="Customer messages no staff member has seen (99+ = 100)."
    )
    needs_human = serializers.SerializerMethodField(help_text="Waiting for a person (the inbox's first tab).")

    class Meta:
        model = Conversation
        fields = (
            "id", "channel", "customer", "status", "variables", "bot_paused", "assigned_to", "assigned_at",
            "needs_human", "unread_count", "last_inbound_at", "last_outbound_at", "created_at", "updated_at",
        )  # fmt: skip
        read_only_fields = fields

    def get_unread_count(self, obj) -> int:
        return getattr(obj, "unread", 0)

    def get_needs_human(self, obj) -> bool:
        return bool(getattr(obj, "waiting", False))


class MessageSerializer(CompanyScopedModelSerializer):
    class Meta:
        model = Message
        fields = (
            "id", "direction", "kind", "text", "media_url", "media_mime", "file_name", "provider_message_id",
            "status", "reason", "error", "attempts", "send_after", "sent_by", "created_at", "sent_at",
            "delivered_at", "read_at",
        )  # fmt: skip
        read_only_fields = fields


class ConversationReplyInputSerializer(serializers.Serializer):
    """`text`, or a `file` (multipart; `text` is then its caption)."""

    text = serializers.CharField(max_length=4096, trim_whitespace=True, required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False)

    def validate(self, attrs):
        if not attrs.get("text") and not attrs.get("file"):
            raise serializers.ValidationError({"text": _("Write a message first.")})
        return attrs


class ConversationReleaseInputSerializer(serializers.Serializer):
    resume = serializers.ChoiceField(choices=ResumePoint.choices, default=ResumePoint.RESTART)


class ConversationListFilterSerializer(serializers.Serializer):
    needs_human = serializers.BooleanField(required=False, allow_null=True, default=None)


class BotStatusSerializer(serializers.Serializer):
    bot_enabled = serializers.BooleanField(read_only=True)
    bot_status = serializers.CharField(read_only=True)
    test_mode = serializers.BooleanField(read_only=True)
    test_contact = serializers.CharField(read_only=True)
    debounce_seconds = serializers.IntegerField(read_only=True)


class TestModeSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    contact = serializers.CharField(required=False, allow_blank=True, max_length=32)


class SettingWriteSerializer(serializers.Serializer):
    value = serializers.JSONField()
    # Default: the type the key is declared with (tenants.settings_registry).
    type = serializers.ChoiceField(choices=["string", "boolean", "number", "json", "secret"], default=None)
    description = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
