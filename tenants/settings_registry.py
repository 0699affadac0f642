"""Which company settings exist: each key is declared by the app that reads it, with its type, its
pt-BR label and help, the integration page it belongs to, and an optional check of its value.

A key nobody declared cannot be saved (admin, API or service), and a value is read by its key's
declared type: a host typed as 127.0.0.1 is text because `wp_db_host` is text, not because it was
typed with quotes. Apps declare their keys in AppConfig.ready() (tenants stays below them):

    setting_group_register(SettingGroup("pix", _("Pix"), ...), SettingSpec("pix_key", TEXT, _("Pix key")), ...)

A group is one page of the integrations settings; `test` (optional) connects somewhere with the
saved values and says how it went, with values found there for some keys (the Form Vibes field
picker lists the field keys of the store's entries).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TEXT, LONG_TEXT, NUMBER, BOOLEAN, JSON, SECRET = "string", "long_text", "number", "boolean", "json", "secret"
STORED_TYPE = {
    TEXT: "string",
    LONG_TEXT: "string",
    NUMBER: "number",
    BOOLEAN: "boolean",
    JSON: "json",
    SECRET: "secret",
}
YES, NO = ("sim", "s", "yes", "y", "true", "1", "on"), ("não", "nao", "n", "no", "false", "0", "off")


@dataclass(frozen=True)
class TestResult:
    ok: bool
    message: str
    suggestions: dict[str, list[str]] = field(default_factory=dict)  # key -> values found at the source

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class SettingSpec:
    key: str
    kind: str  # TEXT, LONG_TEXT (a textarea), NUMBER, BOOLEAN, JSON or SECRET
    label: str | Promise
    help_text: str | Promise = ""
    choices: tuple[tuple[str, str | Promise], ...] = ()
    check: Callable[[object], None] | None = None  # raises ValidationError on a value it refuses
    # The stored spelling of a value the check accepted ("(11) 98765-4321" -> "+5511987654321").
    normalize: Callable[[object], object] | None = None
    section: str | Promise = ""  # a heading inside the group's page (fields of one section stay together)
    group: str = ""

    @property
    def value_type(self) -> str:
        """The CompanySetting.value_type this key is stored with."""
        return STORED_TYPE[self.kind]

    @property
    def secret(self) -> bool:
        return self.kind == SECRET


@dataclass(frozen=True)
class SettingGroup:
    slug: str
    label: str | Promise
    help_text: str | Promise = ""
    order: int = 100
    test: Callable[[object], TestResult] | None = None  # company -> result, with the saved values
    keys: tuple[str, ...] = field(default=())


_SPECS: dict[str, SettingSpec] = {}
_GROUPS: dict[str, SettingGroup] = {}


def setting_group_register(group: SettingGroup, *specs: SettingSpec) -> None:
    """Declare a settings page and its keys (again with the same slug: more keys on that page)."""
    known = _GROUPS.get(group.slug, group)
    added = tuple(spec.key for spec in specs if spec.key not in known.keys)
    _GROUPS[group.slug] = replace(known, keys=known.keys + added)
    for spec in specs:
        _SPECS[spec.key] = replace(spec, group=group.slug)


def setting_spec(key: str) -> SettingSpec | None:
    return _SPECS.get(key)


def setting_specs() -> list[SettingSpec]:
    return sorted(_SPECS.values(), key=lambda spec: spec.key)


def setting_groups() -> list[SettingGroup]:
    return sorted(_GROUPS.values(), key=lambda group: (group.order, str(group.label)))


def setting_group(slug: str) -> SettingGroup | None:
    return _GROUPS.get(slug)


def group_specs(group: SettingGroup) -> list[SettingSpec]:
    return [_SPECS[key] for key in group.keys]


def known_spec(key: str) -> SettingSpec:
    """The declaration of `key`, or a ValidationError naming it (a key no feature reads)."""
    spec = _SPECS.get(key)
    if spec is None:
        raise ValidationError(
            {"key": _("Unknown setting “%(key)s”: no feature reads it. Use one of the settings pages.") % {"key": key}}
        )
    return spec


def parse_setting_text(spec: SettingSpec, raw: str):
    """What staff typed in a form field, as the value of `spec`'s type (ValidationError if unreadable).
    Blank text is None (the setting is removed)."""
    text = (raw or "").strip() if spec.kind != LONG_TEXT else (raw or "").strip("\n")
    if not text.strip():
        return None
    if spec.kind in (TEXT, LONG_TEXT, SECRET):
        return text
    if spec.kind == NUMBER:
        try:
            number = Decimal(text.replace(" ", "").replace(",", "."))
        except InvalidOperation as exc:
            raise ValidationError(_("Type a number, e.g. 5 or 5,50.")) from exc
        return int(number) if number == number.to_integral_value() else float(number)
    if spec.kind == BOOLEAN:
        folded = text.casefold()
        if folded in YES or folded in NO:
            return folded in YES
        raise ValidationError(_("Type sim or não."))
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationError(_("This field takes JSON: %(error)s") % {"error": exc}) from exc


def setting_value_normalize(key: str, value):
    """`value` as `key` stores it (its declared `normalize`); unchanged when it has none, or when
    the value is empty or one the check refuses (validation reports that)."""
    spec = _SPECS.get(key)
    if spec is None or spec.normalize is None or value in (None, ""):
        return value
    try:
        return spec.normalize(value)
    except (ValueError, ValidationError):
        return value


def setting_key_check(key: str, value_type: str) -> SettingSpec:
    """The declaration of `key` if it is stored as `value_type`; ValidationError for a key nobody
    declared or another type."""
    spec = known_spec(key)
    if value_type != spec.value_type:
        raise ValidationError(
            {"value_type": _("“%(key)s” is stored as %(type)s.") % {"key": key, "type": spec.value_type}}
        )
    return spec


def setting_value_check(spec: SettingSpec, typed) -> None:
    """Refuse a value outside the key's choices, or one its own check refuses."""
    if typed in (None, ""):
        return
    if spec.choices and typed not in {value for value, _label in spec.choices}:
        allowed = ", ".join(value for value, _label in spec.choices)
        raise ValidationError({"value": _("Choose one of: %(values)s.") % {"values": allowed}})
    if spec.check is not None:
        try:
            spec.check(typed)
        except ValidationError as exc:
            raise ValidationError({"secret_value" if spec.secret else "value": exc.messages}) from exc
