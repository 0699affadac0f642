"""Companies (the tenants), who belongs to them, their settings, and the base of every tenant-owned row."""

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.fields import EncryptedTextField
from tenants.managers import CompanyManager
from tenants.settings_registry import setting_key_check, setting_value_check, setting_value_normalize


def new_webhook_key() -> str:
    return secrets.token_urlsafe(24)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value})


class Company(models.Model):
    class BotStatus(models.TextChoices):
        ACTIVE = "active", _("Active")  # the bot answers customers
        PAUSED = "paused", _("Paused")  # messages are stored, nobody is answered
        MAINTENANCE = "maintenance", _("Maintenance")  # stored; customers may get a maintenance notice

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="America/Sao_Paulo", validators=[validate_timezone]
    )
    active = models.BooleanField(_("active"), default=True)
    webhook_key = models.CharField(
        _("webhook key"), max_length=64, unique=True, default=new_webhook_key, editable=False
    )

    bot_enabled = models.BooleanField(_("bot enabled"), default=True)
    bot_status = models.CharField(_("bot status"), max_length=16, choices=BotStatus.choices, default=BotStatus.ACTIVE)
    test_mode = models.BooleanField(
        _("test mode"),
        default=False,
        help_text=_(
            "The test contact talks to the draft flow; other customers keep the published one "
            "(and get no answer while nothing is published)."
        ),
    )
    test_contact = models.CharField(_("test contact"), max_length=32, blank=True)

    # Tuning limits (SPEC §4, §6).
    message_debounce_seconds = models.PositiveIntegerField(_("message debounce (s)"), default=5)
    max_incoming_text_chars = models.PositiveIntegerField(_("max incoming text (chars)"), default=4000)
    max_buffer_text_chars = models.PositiveIntegerField(_("max buffered text (chars)"), default=8000)
    webhook_rate_limit_per_min = models.PositiveIntegerField(_("messages answered per minute"), default=60)
    max_item_quantity = models.PositiveIntegerField(_("max quantity per item"), default=10)
    cart_abandoned_reminder_min = models.PositiveIntegerField(_("abandoned cart reminder (min)"), default=10)
    cart_abandoned_cancel_min = models.PositiveIntegerField(_("abandoned cart cancel (min)"), default=15)
    state_stale_reset_min = models.PositiveIntegerField(_("idle conversation reset (min)"), default=120)
    repeat_order_lookback_days = models.PositiveIntegerField(_("repeat order lookback (days)"), default=30)
    rating_delay_min = models.PositiveIntegerField(_("rating request delay (min)"), default=30)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.test_mode and not self.test_contact:
            raise ValidationError({"test_contact": _("Test mode needs a test contact.")})


class CompanyOwned(models.Model):
    """Base of every tenant-owned table: non-null company, fail-closed default manager.

    Conventions for subclasses: `company` on child rows too; every unique constraint includes
    `company`; indexes lead with `company`.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company"))

    objects = CompanyManager()

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        ensure_same_company(self)


def ensure_same_company(instance: CompanyOwned, *others: CompanyOwned) -> None:
    """Raise unless every related tenant-owned row (FKs of `instance`, plus `others`) shares its company."""
    company_id = instance.company_id
    related = list(others)
    for field in instance._meta.concrete_fields:
        if field.is_relation and field.name != "company" and issubclass(field.related_model, CompanyOwned):
            target = getattr(instance, field.name, None)
            if target is not None:
                related.append(target)
    for other in related:
        if company_id is not None and other.company_id != company_id:
            raise ValidationError(_("%(obj)s belongs to another company."), params={"obj": other._meta.verbose_name})


class Membership(CompanyOwned):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")  # everything, including deleting and managing members
        MANAGER = "manager", _("Manager")  # everything in the company's data
        AGENT = "agent", _("Agent")  # reads and edits day-to-day data, deletes nothing
        VIEWER = "viewer", _("Viewer")  # reads only

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["company", "user"], name="membership_unique_company_user")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"

    @property
    def can_write(self) -> bool:
        return self.role != self.Role.VIEWER

    @property
    def can_delete(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.MANAGER)


class CompanySetting(CompanyOwned):
    class ValueType(models.TextChoices):
        STRING = "string", _("Text")
        BOOLEAN = "boolean", _("Yes/no")
        NUMBER = "number", _("Number")
        JSON = "json", _("JSON")
        SECRET = "secret", _("Secret (stored encrypted)")

    key = models.SlugField(_("key"), max_length=100)
    value_type = models.CharField(_("type"), max_length=16, choices=ValueType.choices, default=ValueType.STRING)
    value = models.JSONField(_("value"), null=True, blank=True)
    secret_value = EncryptedTextField(_("secret value"), blank=True, default="")
    description = models.CharField(_("description"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company setting")
        verbose_name_plural = _("company settings")
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="companysetting_unique_company_key")]
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def save(self, *args, **kwargs):
        # Every path (service, admin form, API) stores a value in its key's own spelling.
        if self.value_type == self.ValueType.SECRET:
            self.secret_value = setting_value_normalize(self.key, self.secret_value)
        else:
            self.value = setting_value_normalize(self.key, self.value)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        validate_setting_value(self.value_type, self.value, self.secret_value, key=self.key)

    @property
    def typed_value(self):
        return self.secret_value if self.value_type == self.ValueType.SECRET else self.value


def validate_setting_value(value_type: str, value, secret_value: str = "", *, key: str = "") -> None:
    """Reject a key no app declared (tenants.settings_registry), a type other than its declared one,
    a value whose Python type does not match the type, or one the key's own check refuses."""
    spec = setting_key_check(key, value_type)
    kinds = CompanySetting.ValueType
    ok = {
        kinds.STRING: isinstance(value, str),
        kinds.BOOLEAN: isinstance(value, bool),
        kinds.NUMBER: isinstance(value, int | float) and not isinstance(value, bool),
        kinds.JSON: isinstance(value, dict | list),
        kinds.SECRET: value is None and bool(secret_value),
    }.get(value_type)
    if ok is None:
        raise ValidationError({"value_type": _("Unknown setting type.")})
    if not ok:
        raise ValidationError({"value": _("The value does not match the declared type.")})
    setting_value_check(spec, secret_value if value_type == kinds.SECRET else value)


class ApiToken(CompanyOwned):
    """An API token bound to one user and one company. Stored encrypted, looked up by its SHA-256."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, default="padrão")
    key_digest = models.CharField(_("key digest"), max_length=64, editable=False)
    key = EncryptedTextField(_("key"), editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.UniqueConstraint(fields=["company", "key_digest"], name="apitoken_unique_company_digest"),
            models.UniqueConstraint(fields=["company", "user", "name"], name="apitoken_unique_company_user_name"),
        ]
        # Authentication looks tokens up by digest before any company is known.
        indexes = [models.Index(fields=["key_digest"], name="apitoken_digest_idx")]

    def __str__(self) -> str:
        return f"{self.user} / {self.name}"
