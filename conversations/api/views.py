"""API of the pipeline: channels, conversations and their history, bot controls and settings."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from conversations.api.serializers import (
    BotStatusSerializer,
    ChannelSerializer,
    ConversationListFilterSerializer,
    ConversationReleaseInputSerializer,
    ConversationReplyInputSerializer,
    ConversationSerializer,
    MessageSerializer,
    SettingWriteSerializer,
    TestModeSerializer,
)
from conversations.models import Channel, Conversation, Message
from conversations.selectors import needs_human, with_inbox_fields
from conversations.services import (
    ReplyRefused,
    conversation_release,
    conversation_reply,
    conversation_resolve,
    conversation_take_over,
)
from tenants.api import CompanyScopedViewSetMixin
from tenants.crypto import mask_secret
from tenants.models import CompanySetting
from tenants.services import company_setting_set


class ChannelViewSet(
    CompanyScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    model = Channel
    serializer_class = ChannelSerializer


class ConversationViewSet(
    CompanyScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Conversations, and the staff inbox's actions on one: reply, take over, release, resolve.

    `?needs_human=true` lists those waiting for a person (false: the others). Who may act: the role
    matrix (tenants.permissions; viewers read only).
    """

    model = Conversation
    serializer_class = ConversationSerializer

    def scope_queryset(self, queryset):
        company = self.request.company
        queryset = with_inbox_fields(queryset.select_related("channel", "customer", "assigned_to"), company)
        if self.action == "list":
            wanted = ConversationListFilterSerializer(data=self.request.query_params)
            wanted.is_valid(raise_exception=True)
            if wanted.validated_data["needs_human"] is not None:
                waiting = needs_human(company)
                queryset = (
                    queryset.filter(waiting) if wanted.validated_data["needs_human"] else queryset.exclude(waiting)
                )
        return queryset

    @extend_schema(parameters=[ConversationListFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ConversationReplyInputSerializer, responses={201: MessageSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """Send the staff member's text, or a file (multipart `file`, `text` its caption), to the customer
        (even while the bot is paused). 409 with the reason when it may not go: opted out, channel
        disconnected, outside Meta's 24-hour window, a file too big or of a type not sent."""
        conversation = self.get_object()
        data = ConversationReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            message = conversation_reply(
                conversation=conversation,
                user=request.user,
                text=data.validated_data["text"],
                upload=data.validated_data.get("file"),
            )
        except ReplyRefused as exc:
            return Response({"detail": str(exc.message), "code": exc.code}, status=status.HTTP_409_CONFLICT)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ConversationSerializer})
    @action(detail=True, methods=["post"], url_path="takeover")
    def take_over(self, request, pk=None):
        """The caller takes the conversation (from another agent too, recorded): the bot pauses."""
        conversation_take_over(conversation=self.get_object(), user=request.user)
        return self._conversation_response(pk)

    @extend_schema(request=ConversationReleaseInputSerializer, responses={200: ConversationSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Hand back to the bot, resuming at `resume` (restart: at the next message; menu: now)."""
        conversation = self.get_object()
        data = ConversationReleaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation_release(conversation=conversation, user=request.user, resume=data.validated_data["resume"])
        return self._conversation_response(pk)

    @extend_schema(request=None, responses={200: ConversationSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Close it; the customer's next message reopens it with the bot."""
        conversation_resolve(conversation=self.get_object(), user=request.user)
        return self._conversation_response(pk)

    def _conversation_response(self, pk):
        return Response(ConversationSerializer(self.get_object()).data)

    @action(detail=True, methods=["get"], serializer_class=MessageSerializer)
    def history(self, request, pk=None):
        """Every message of the conversation, oldest first (paginated)."""
        conversation = self.get_object()
        messages = Message.objects.for_company(conversation.company_id).filter(conversation=conversation)
        page = self.paginate_queryset(messages.order_by("created_at", "id"))
        return self.get_paginated_response(MessageSerializer(page, many=True).data)


def _bot_status(company) -> dict:
    return {
        "bot_enabled": company.bot_enabled,
        "bot_status": company.bot_status,
        "test_mode": company.test_mode,
        "test_contact": company.test_contact,
        "debounce_seconds": company.message_debounce_seconds,
    }


class BotViewSet(CompanyScopedViewSetMixin, viewsets.GenericViewSet):
    """`GET /api/bot/status/`, `POST /api/bot/enable/`, `/disable/`, `/test-mode/`."""

    model = CompanySetting  # company-level data; the mixin still scopes and authorises by role
    serializer_class = BotStatusSerializer
    pagination_class = None

    @action(detail=False, methods=["get"])
    def status(self, request):
        return Response(_bot_status(request.company))

    @action(detail=False, methods=["post"])
    def enable(self, request):
        return self._set(request, bot_enabled=True)

    @action(detail=False, methods=["post"])
    def disable(self, request):
        return self._set(request, bot_enabled=False)

    @action(detail=False, methods=["post"], url_path="test-mode", serializer_class=TestModeSerializer)
    def test_mode(self, request):
        data = TestModeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enabled = data.validated_data["enabled"]
        contact = data.validated_data.get("contact", request.company.test_contact)
        if enabled and not contact:
            raise serializers.ValidationError({"contact": [_("Test mode needs a test contact.")]})
        return self._set(request, test_mode=enabled, test_contact=contact)

    def _set(self, request, **fields):
        company = request.company
        for name, value in fields.items():
            setattr(company, name, value)
        company.save(update_fields=list(fields))
        return Response(_bot_status(company))


class SettingsViewSet(CompanyScopedViewSetMixin, viewsets.GenericViewSet):
    """`GET /api/settings/` → {key: {value, type, description}}; `PUT /api/settings/<key>/`.

    PUT creates or updates the setting; a key the company does not have yet needs a `value` (else 404).
    Secrets are stored encrypted and shown masked.
    """

    model = CompanySetting
    serializer_class = SettingWriteSerializer
    pagination_class = None
    lookup_field = "key"
    lookup_url_kwarg = "pk"
    lookup_value_regex = r"[-\w]+"

    def list(self, request):
        rows = self.get_queryset().order_by("key")
        return Response(
            {
                row.key: {
                    "value": mask_secret(row.secret_value) if row.value_type == "secret" else row.value,
                    "type": row.value_type,
                    "description": row.description,
                }
                for row in rows
            }
        )

    def update(self, request, pk=None):
        exists = self.get_queryset().filter(key=pk).exists()
        # A body that is not an object (`2`, `[]`) has no value either; the serializer says so when the key exists.
        if not exists and not (isinstance(request.data, Mapping) and "value" in request.data):
            return Response({"detail": _("Not found.")}, status=404)
        data = SettingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            setting = company_setting_set(
                company=request.company,
                key=pk,
                value=data.validated_data["value"],
                value_type=data.validated_data["type"],
                description=data.validated_data["description"],
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return Response({"status": "updated", "key": setting.key}, status=200 if exists else 201)
