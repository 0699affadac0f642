"""WhatsApp channels, conversations and every message in and out, plus the raw inbound events."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from tenants.fields import EncryptedTextField
from tenants.models import CompanyOwned


def new_inbound_key() -> str:
    return secrets.token_urlsafe(32)


def staff_member(verbose_name) -> models.ForeignKey:
    """A staff user a row names (who took, wrote, did it); the row stays when the user is deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


class Provider(models.TextChoices):
    GOSAC = "gosac", "GOSAC"
    UAZAPI = "uazapi", "UAZAPI"
    EVOLUTION = "evolution", "Evolution API"
    META_CLOUD = "meta_cloud", "Meta WhatsApp Cloud API"
    CONSOLE = "console", _("Console (sends nothing; demo and tests)")


class Channel(CompanyOwned):
    """One connected WhatsApp number at one provider."""

    class Status(models.TextChoices):
        CONNECTING = "connecting", _("Connecting")  # created or authenticated, waiting for ready (QR shown)
        CONNECTED = "connected", _("Connected")  # ready: messages flow
        DISCONNECTED = "disconnected", _("Disconnected")  # auth failure or disconnect; health check reconnects

    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices, default=Provider.CONSOLE)
    name = models.CharField(_("instance name"), max_length=100)
    base_url = models.URLField(_("provider base URL"), blank=True)
    credentials = EncryptedTextField(_("credentials"), blank=True, default="", help_text=_("JSON with tokens and keys"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CONNECTING)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    qr_code = models.TextField(_("latest QR code"), blank=True)
    inbound_key = models.CharField(_("inbound key"), max_length=64, default=new_inbound_key, editable=False)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    reconnect_attempts = models.PositiveIntegerField(_("reconnect attempts"), default=0)
    next_check_at = models.DateTimeField(_("next check at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "provider", "name"], name="channel_unique_provider_name"),
            models.UniqueConstraint(fields=["company", "inbound_key"], name="channel_unique_inbound_key"),
        ]
        # The webhook finds its channel by key before any company is known.
        indexes = [models.Index(fields=["inbound_key"], name="channel_inbound_key_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"


class ChannelStatusChange(CompanyOwned):
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("channel")
    )
    from_status = models.CharField(_("previous status"), max_length=16, choices=Channel.Status.choices, blank=True)
    to_status = models.CharField(_("new status"), max_length=16, choices=Channel.Status.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel status change")
        verbose_name_plural = _("channel status changes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "channel", "created_at"], name="chstatus_company_channel_idx")]


class Conversation(CompanyOwned):
    """Where one customer stands with the bot on one channel."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")  # the bot is talking to the customer
        WAITING = "waiting", _("Waiting for the customer")  # a question was asked
        COMPLETED = "completed", _("Completed")  # the flow ended
        HANDOFF = "handoff", _("With a human")  # handed to a person (asked for, or taken); the bot stays silent
        RESOLVED = "resolved", _("Resolved")  # staff closed it; the customer's next message reopens it

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("channel")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("customer")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    bot_paused = models.BooleanField(_("bot paused (human handoff)"), default=False)
    last_inbound_at = models.DateTimeField(_("last inbound at"), null=True, blank=True)
    last_outbound_at = models.DateTimeField(_("last outbound at"), null=True, blank=True)
    assigned_to = staff_member(_("with agent"))
    assigned_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    # Customer messages after this moment are unread: a staff member has not opened the conversation since.
    staff_read_at = models.DateTimeField(_("read by staff at"), null=True, blank=True)
    # The provider's ticket state last seen (GOSAC repeats it on every message): only a change is applied.
    provider_ticket = models.CharField(_("provider ticket"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Last activity: processing a customer message, sending, a staff action. The inbox's order.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "channel", "customer"], name="conversation_unique_customer"),
        ]
        indexes = [
            models.Index(fields=["company", "status", "updated_at"], name="conversation_status_idx"),
            # Retention (privacy.retention): conversations untouched the longest, whatever their status;
            # read backwards, the staff inbox's newest activity first.
            models.Index(fields=["company", "updated_at"], name="conversation_updated_idx"),
            # The inbox's first tab and the header badge (every admin page) read only conversations
            # with a person or the bot paused: a few rows, whatever the company's history.
            models.Index(
                fields=["company", "-updated_at"],
                condition=Q(status="handoff") | Q(bot_paused=True),
                name="conversation_needs_human_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} @ {self.channel.name}"


class Message(CompanyOwned):
    """Every message in and out. Outbound rows are the outbox: written with the change that caused them."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Received")
        OUTBOUND = "out", _("Sent")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        DOCUMENT = "document", _("Document")
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")
        ORDER = "order", _("Catalog order")  # a WhatsApp catalog cart (carts.catalog_order reads it)
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")  # inbound, waiting to be processed
        PROCESSED = "processed", _("Processed")  # inbound, the flow has run on it
        IGNORED = "ignored", _("Ignored")  # inbound, stored but not answered (reason says why)
        QUEUED = "queued", _("Queued")  # outbound, waiting for the send task (or for its next attempt)
        SENDING = "sending", _("Sending")  # outbound, claimed: the provider is being called (attempts counts it)
        SENT = "sent", _("Sent")  # accepted by the provider
        DELIVERED = "delivered", _("Delivered")  # on the customer's phone
        READ = "read", _("Read")  # seen by the customer
        FAILED = "failed", _("Failed")  # gave up; error says why
        EXPIRED = "expired", _("Expired")  # waited too long (channel down): not sent blindly

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", verbose_name=_("conversation")
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="messages", verbose_name=_("channel"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.TEXT)
    text = models.TextField(_("text"), blank=True)
    media_url = models.URLField(_("media URL"), max_length=1000, blank=True)
    media_id = models.CharField(_("provider media id"), max_length=200, blank=True)  # Meta: fetched by id
    media_mime = models.CharField(_("media type"), max_length=100, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    send_after = models.DateTimeField(_("send after"), null=True, blank=True)  # order key: never moved by retries
    # Delivery attempts (conversations.services.delivery): the next one not before `retry_at`; the
    # retry budget counts from `first_attempt_at`; a `sending` row claimed at `attempt_started_at`
    # long ago lost its worker.
    retry_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    first_attempt_at = models.DateTimeField(_("first attempt at"), null=True, blank=True)
    attempt_started_at = models.DateTimeField(_("attempt started at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    # Outbound: the staff member who wrote it (None: the bot or an automatic notice).
    sent_by = staff_member(_("sent by"))
    # Inbound: when its raw event arrived (the worker applies it later); ordering follows arrival.
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        constraints = [
            # One row per provider message, even when the webhook is delivered concurrently.
            models.UniqueConstraint(
                fields=["company", "channel", "direction", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="message_unique_provider_id",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "conversation", "created_at"], name="message_conversation_idx"),
            # The dashboard's messages of a period (per day, in and out, failed; conversations with
            # messages): a range of this index, read without visiting the table.
            models.Index(
                fields=["company", "created_at"],
                include=["direction", "status", "conversation"],
                name="message_company_created_idx",
            ),
            # The sweeps (one company at a time, tenants.sweeps) read only their due rows: stuck
            # outbound messages, messages still waiting to be processed (also the ingest lag),
            # received documents whose download never ran.
            models.Index(fields=["company", "send_after"], condition=Q(status="queued"), name="message_queued_due_idx"),
            models.Index(fields=["company", "created_at"], condition=Q(status="received"), name="message_received_idx"),
            # Claims whose worker died (the sweep), failures of the last hour (/health/).
            models.Index(
                fields=["company", "attempt_started_at"], condition=Q(status="sending"), name="message_sending_idx"
            ),
            models.Index(fields=["failed_at"], condition=Q(status="failed"), name="message_failed_idx"),
            models.Index(
                fields=["company", "created_at"],
                condition=Q(direction="in", kind="document"),
                name="message_in_document_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} ({self.get_kind_display()}): {self.text[:40]}"


class ConversationEvent(CompanyOwned):
    """Who did what to a conversation in the inbox, or at the provider: its timeline besides the messages."""

    class Kind(models.TextChoices):
        TAKEN = "taken", _("Taken over")  # a staff member took it: the bot is paused
        RELEASED = "released", _("Handed back to the bot")  # detail: where the flow resumes
        RESOLVED = "resolved", _("Resolved")  # closed by staff
        REOPENED = "reopened", _("Reopened")  # the customer wrote after it was resolved
        PROVIDER_TAKEN = "provider_taken", _("Taken at the provider")  # detail: the provider's agent
        PROVIDER_RELEASED = "provider_released", _("Released at the provider")
        PROVIDER_CLOSED = "provider_closed", _("Closed at the provider")
        BOT_ERROR = "bot_error", _("Bot error")  # detail: the error; a human took over
        SEND_FAILED = "send_failed", _("Bot message not delivered")  # detail: the message and the error

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="events", verbose_name=_("conversation")
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    actor = staff_member(_("by"))
    # TAKEN from another agent: who had it (the change the inbox records).
    previous_assignee = staff_member(_("taken from"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("conversation event")
        verbose_name_plural = _("conversation events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["company", "conversation", "created_at"], name="convevent_conversation_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.created_at:%Y-%m-%d %H:%M}"


class InboundEvent(CompanyOwned):
    """A webhook body exactly as received, stored before anything else so it can be replayed."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")  # stored, not yet applied
        PROCESSED = "processed", _("Processed")  # applied
        IGNORED = "ignored", _("Ignored")  # nothing to do (reason says why)
        FAILED = "failed", _("Failed")  # applying it raised; replay from the admin

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="inbound_events", verbose_name=_("channel")
    )
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["company", "received_at"], name="inbound_company_received_idx"),
            # Ingest lag: the oldest event not yet processed.
            models.Index(fields=["received_at"], condition=Q(status="received"), name="inbound_pending_idx"),
            # The inbound sweep, one company at a time: events whose apply task was refused or lost.
            models.Index(
                fields=["company", "received_at"], condition=Q(status="received"), name="inbound_company_pending_idx"
            ),
            # Retention (privacy.retention): applied events (processed, ignored or failed), oldest first.
            models.Index(
                fields=["company", "processed_at"], condition=Q(processed_at__isnull=False), name="inbound_applied_idx"
            ),
        ]


class ReceivedFile(CompanyOwned):
    """A document a customer sent, downloaded and stored."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="files", verbose_name=_("conversation")
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="files", verbose_name=_("message"))
    file = models.FileField(_("file"), upload_to="received/%Y/%m/")
    original_name = models.CharField(_("original name"), max_length=255, blank=True)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("received file")
        verbose_name_plural = _("received files")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "created_at"], name="receivedfile_company_idx")]
