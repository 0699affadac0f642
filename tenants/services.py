"""Writes for companies, members, settings and API tokens."""

import hashlib
import secrets
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.models import ApiToken, Company, CompanySetting, Membership, validate_setting_value
from tenants.settings_registry import known_spec


def company_create(*, slug: str, name: str, **fields) -> tuple[Company, bool]:
    """Create the company with this slug, or update its name and fields. Idempotent."""
    company, created = Company.objects.update_or_create(slug=slug, defaults={"name": name, **fields})
    return company, created


def membership_set(*, company: Company, user, role: str) -> Membership:
    """Give `user` the `role` in `company` (creating the membership if needed)."""
    membership, _ = Membership.objects.for_company(company).update_or_create(
        company=company, user=user, defaults={"role": role}
    )
    return membership


def ensure_an_owner_remains(*, company: Company, leaving) -> None:
    """Raise unless `company` keeps an owner once the memberships `leaving` (ids) stop being owners."""
    owners = Membership.objects.for_company(company).filter(role=Membership.Role.OWNER)
    if not owners.exclude(pk__in=list(leaving)).exists():
        raise ValidationError(_("A company keeps at least one owner."))


def user_ensure(*, username: str, email: str = "", password: str | None = None, staff: bool = True):
    """Get or create a staff user; the password is set only when the user is created."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email, "is_staff": staff})
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    return user, created


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, company: Company, user, name: str = "default") -> str:
    """Return the plaintext API token of (company, user, name), creating it once. Idempotent."""
    existing = ApiToken.objects.for_company(company).filter(user=user, name=name).first()
    if existing:
        return existing.key
    return api_token_create(company=company, user=user, name=name).key


def api_token_create(*, company: Company, user, name: str = "default") -> ApiToken:
    """A new random token; the caller shows `token.key` once."""
    key = secrets.token_hex(20)
    return ApiToken.objects.create(company=company, user=user, name=name, key=key, key_digest=token_digest(key))


def api_token_find(key: str) -> ApiToken | None:
    """The active token with this key, or None. Called before any company is known."""
    return (
        ApiToken.objects.unscoped()  # unscoped: authentication resolves the company from the token itself
        .select_related("user", "company")
        .filter(key_digest=token_digest(key), user__is_active=True, company__active=True)
        .first()
    )


def company_setting_set(
    *, company: Company, key: str, value, value_type: str | None = None, description: str = ""
) -> CompanySetting:
    """Store a typed setting, validated before writing (`value_type` defaults to the key's declared
    one; a key no app declared is refused). Secrets are stored encrypted."""
    value_type = value_type or known_spec(key).value_type
    is_secret = value_type == CompanySetting.ValueType.SECRET
    secret_value = value if is_secret else ""
    plain_value = None if is_secret else value
    if is_secret and not isinstance(value, str):
        raise ValidationError({"value": "Secrets are text."})
    validate_setting_value(value_type, plain_value, secret_value, key=key)
    setting, _ = CompanySetting.objects.for_company(company).update_or_create(
        company=company,
        key=key,
        defaults={
            "value_type": value_type,
            "value": plain_value,
            "secret_value": secret_value,
            "description": description,
        },
    )
    _memo_forget(company)
    return setting


def company_setting_delete(*, company: Company, key: str) -> None:
    """Remove a setting: the features that read it fall back to their default."""
    CompanySetting.objects.for_company(company).filter(key=key).delete()
    _memo_forget(company)


def company_setting_get(*, company: Company, key: str, default=None):
    memo = _settings_memo.get()
    if memo is None:
        setting = CompanySetting.objects.for_company(company).filter(key=key).first()
    else:
        company_id = getattr(company, "pk", company)
        if company_id not in memo:
            memo[company_id] = {row.key: row for row in CompanySetting.objects.for_company(company)}
        setting = memo[company_id].get(key)
    return default if setting is None else setting.typed_value


_settings_memo: ContextVar[dict | None] = ContextVar("company_settings_memo", default=None)


@contextmanager
def company_settings_memoized():
    """Inside the block, a company's first `company_setting_get` reads all its settings in one query
    and later ones are answered from memory (a bot turn that takes a Pix order reads the key, the
    merchant's name and city, the payer e-mail...). Writes through company_setting_set/delete drop
    the company's memo. For short units of work (one bot turn), not for long tasks."""
    token = _settings_memo.set({})
    try:
        yield
    finally:
        _settings_memo.reset(token)


def _memo_forget(company) -> None:
    memo = _settings_memo.get()
    if memo is not None:
        memo.pop(getattr(company, "pk", company), None)
