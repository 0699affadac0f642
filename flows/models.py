"""The bot's scripted behaviour: FlowTemplate -> Flow -> Subflow -> FlowMessage,
and where each conversation stands in it (FlowPosition)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from conversations.models import Conversation
from tenants.models import CompanyOwned

VARIABLE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,49}$"
validate_variable_name = RegexValidator(
    VARIABLE_NAME_PATTERN, _("Use letters, digits and underscores, not starting with a digit.")
)
ACTION_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
validate_action_name = RegexValidator(ACTION_NAME_PATTERN, _("Use lowercase letters, digits and underscores."))
MAX_DELAY_SECONDS = 3600  # one hour: longer pauses belong to scheduled jobs, not to a conversation turn


class FlowTemplate(CompanyOwned):
    """A complete bot script; the company's live one holds the active default flow."""

    class SendFailure(models.TextChoices):
        """What happens to a conversation when a bot message cannot be delivered (its retries ran out)."""

        HANDOFF = "handoff", _("Hand the conversation to a person")
        NOTHING = "nothing", _("Do nothing (the message stays failed; staff can resend it)")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    published_version = models.PositiveIntegerField(
        _("published version"),
        default=0,
        editable=False,
        help_text=_("0 until the first publish: then everyone talks to the draft."),
    )
    on_send_failure = models.CharField(
        _("when a bot message cannot be delivered"),
        max_length=16,
        choices=SendFailure.choices,
        default=SendFailure.HANDOFF,
        help_text=_(
            "After the retries run out. Handing over pauses the bot and puts the conversation in the "
            "inbox's waiting queue, with the failure on its timeline."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("flow template")
        verbose_name_plural = _("flow templates")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="flowtemplate_unique_name")]

    def __str__(self) -> str:
        return self.name


class Flow(CompanyOwned):
    template = models.ForeignKey(
        FlowTemplate, on_delete=models.CASCADE, related_name="flows", verbose_name=_("template")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default"), default=False, help_text=_("New customers start here."))
    is_active = models.BooleanField(_("active"), default=True)
    order_index = models.IntegerField(pgettext_lazy("position", "order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("flow")
        verbose_name_plural = _("flows")
        ordering = ["template_id", "order_index", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "template", "name"], name="flow_unique_name"),
            models.UniqueConstraint(
                fields=["company", "template"], condition=Q(is_default=True), name="flow_one_default_per_template"
            ),
        ]
        indexes = [models.Index(fields=["company", "template", "order_index"], name="flow_company_template_idx")]

    def __str__(self) -> str:
        return self.name


class Subflow(CompanyOwned):
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="subflows", verbose_name=_("flow"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    parent_subflow = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("return to"),
        help_text=_("When this subflow ends, the conversation goes back to this one."),
    )
    trigger_keywords = models.JSONField(
        _("trigger keywords"),
        default=list,
        blank=True,
        help_text=_('Whole words, case and accents ignored, e.g. ["cardápio", "menu"].'),
    )
    order_index = models.IntegerField(pgettext_lazy("position", "order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subflow")
        verbose_name_plural = _("subflows")
        ordering = ["flow_id", "order_index", "id"]
        indexes = [models.Index(fields=["company", "flow", "order_index"], name="subflow_company_flow_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if self.parent_subflow_id is not None and self.flow_id is not None:
            if self.parent_subflow_id == self.pk:
                raise ValidationError({"parent_subflow": _("A subflow cannot return to itself.")})
            if self.parent_subflow.flow_id != self.flow_id:
                raise ValidationError({"parent_subflow": _("Choose a subflow of the same flow.")})
        if not isinstance(self.trigger_keywords, list) or not all(
            isinstance(k, str) and k.strip() for k in self.trigger_keywords
        ):
            raise ValidationError({"trigger_keywords": _("A list of non-empty words.")})


class FlowMessage(CompanyOwned):
    class MessageType(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        DOCUMENT = "document", _("Document")

    subflow = models.ForeignKey(Subflow, on_delete=models.CASCADE, related_name="messages", verbose_name=_("subflow"))
    message_text = models.TextField(_("text"), help_text=_("Variables: {{ nome }}"))
    message_type = models.CharField(_("type"), max_length=16, choices=MessageType.choices, default=MessageType.TEXT)
    order_index = models.IntegerField(pgettext_lazy("position", "order"), default=0)
    wait_for_response = models.BooleanField(_("wait for a reply"), default=False)
    wait_for_file = models.BooleanField(_("wait for a file"), default=False)
    expected_file_types = models.JSONField(
        _("expected file types"),
        default=list,
        blank=True,
        help_text=_('Extensions or MIME types, e.g. ["pdf", "image/*"]; empty accepts any document.'),
    )
    delay_seconds = models.PositiveIntegerField(
        _("delay (s)"), default=0, validators=[MaxValueValidator(MAX_DELAY_SECONDS)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    save_reply_as = models.CharField(
        _("save reply as"), max_length=50, blank=True, default="", validators=[validate_variable_name]
    )
    action = models.CharField(
        _("action"),
        max_length=64,
        blank=True,
        default="",
        validators=[validate_action_name],
        help_text=_("A hook another app provides, e.g. show_catalog."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("flow message")
        verbose_name_plural = _("flow messages")
        ordering = ["subflow_id", "order_index", "id"]
        indexes = [models.Index(fields=["company", "subflow", "order_index"], name="flowmessage_company_sub_idx")]

    def __str__(self) -> str:
        return self.message_text[:60]

    def clean(self):
        super().clean()
        if not isinstance(self.expected_file_types, list) or not all(
            isinstance(t, str) and t.strip() for t in self.expected_file_types
        ):
            raise ValidationError({"expected_file_types": _("A list of extensions or MIME types.")})


class FlowVersion(CompanyOwned):
    """A published, frozen copy of a template: what customers talk to while staff edit the draft
    (the template's own rows). Written once by `flow_template_publish`, never changed."""

    template = models.ForeignKey(
        FlowTemplate, on_delete=models.CASCADE, related_name="versions", verbose_name=_("template")
    )
    number = models.PositiveIntegerField(_("number"))
    snapshot = models.JSONField(
        _("engine snapshot"), help_text=_("The active flows, subflows and messages, with the draft's ids.")
    )
    document = models.JSONField(_("document"), help_text=_("The export document of the whole template."))
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.CharField(_("published by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("flow version")
        verbose_name_plural = _("flow versions")
        ordering = ["template_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["company", "template", "number"], name="flowversion_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.number}"


class FlowPosition(CompanyOwned):
    """Where one conversation stands in its flow.

    Ids are plain integers, not foreign keys: staff may delete or deactivate the message a
    conversation waits on, and the engine then carries on from the stored order instead of failing.
    """

    class Waiting(models.TextChoices):
        NOTHING = "nothing", _("Nothing")  # not in a flow: new, completed or reset; next message starts over
        RESPONSE = "response", _("A reply")  # a question was asked
        FILE = "file", _("A file")  # a document was asked for

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="flow_positions", verbose_name=_("conversation")
    )
    current_template_id = models.PositiveBigIntegerField(_("template"), null=True, blank=True)
    current_version = models.PositiveIntegerField(
        _("version"), null=True, blank=True, help_text=_("The published version talked to; empty: the draft.")
    )
    current_flow_id = models.PositiveBigIntegerField(_("flow"), null=True, blank=True)
    current_subflow_id = models.PositiveBigIntegerField(_("subflow"), null=True, blank=True)
    current_message_id = models.PositiveBigIntegerField(_("current message"), null=True, blank=True)
    current_message_order = models.IntegerField(_("current message order"), null=True, blank=True)
    waiting_for = models.CharField(_("waiting for"), max_length=16, choices=Waiting.choices, default=Waiting.NOTHING)
    last_activity_at = models.DateTimeField(_("last activity at"), null=True, blank=True)
    visited = models.JSONField(
        _("subflows reached"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_('Per version ("draft" or its number): the ids of the subflows this conversation reached.'),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("flow position")
        verbose_name_plural = _("flow positions")
        constraints = [
            models.UniqueConstraint(fields=["company", "conversation"], name="flowposition_one_per_conversation")
        ]
        indexes = [models.Index(fields=["company", "waiting_for", "last_activity_at"], name="flowposition_stale_idx")]

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.get_waiting_for_display()}"
