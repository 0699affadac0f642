"""Reads about companies and who may act in them. Global lookups live here, on the allow-list."""

from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from tenants.models import Company, CompanySetting, Membership


@dataclass(frozen=True)
class CompanyAccess:
    """Which company a user acts in, and as what. `company` None = superuser's all-companies view."""

    company: Company | None
    membership: Membership | None
    is_superuser: bool = False

    @property
    def can_read(self) -> bool:
        return self.is_superuser or self.membership is not None

    @property
    def can_write(self) -> bool:
        return self.is_superuser or (self.membership is not None and self.membership.can_write)

    @property
    def can_delete(self) -> bool:
        return self.is_superuser or (self.membership is not None and self.membership.can_delete)


NO_ACCESS = CompanyAccess(company=None, membership=None)


def user_companies(user) -> QuerySet[Company]:
    """Active companies the user may switch to (every company for a superuser)."""
    if not user.is_authenticated:
        return Company.objects.none()
    if user.is_superuser:
        return Company.objects.all()
    return Company.objects.filter(active=True, id__in=membership_company_ids(user))


def membership_company_ids(user) -> QuerySet:
    """Ids of every company the user belongs to."""
    memberships = Membership.objects.unscoped()  # unscoped: a user's own memberships across companies
    return memberships.filter(user=user).values("company_id")


def membership_for(user, company) -> Membership | None:
    return Membership.objects.for_company(company).filter(user=user).select_related("company").first()


def company_access(user, requested_company_id=None) -> CompanyAccess:
    """Resolve the company a session user acts in: the requested one if allowed, else their first."""
    if not user.is_authenticated:
        return NO_ACCESS
    if user.is_superuser:
        company = Company.objects.filter(pk=requested_company_id).first() if requested_company_id else None
        membership = membership_for(user, company) if company else None
        return CompanyAccess(company=company, membership=membership, is_superuser=True)
    memberships = (
        Membership.objects.unscoped()  # unscoped: resolving which company this user may act in
        .filter(user=user, company__active=True)
        .select_related("company")
        .order_by("company__name")
    )
    chosen = None
    for membership in memberships:
        if chosen is None or membership.company_id == _as_int(requested_company_id):
            chosen = membership
    if chosen is None:
        return NO_ACCESS
    return CompanyAccess(company=chosen.company, membership=chosen)


def token_access(token) -> CompanyAccess:
    """Access carried by an API token: exactly its company, with the user's role there."""
    membership = membership_for(token.user, token.company_id)
    if membership is None or not token.company.active:
        return NO_ACCESS
    return CompanyAccess(company=token.company, membership=membership, is_superuser=False)


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def company_setting_subquery(key: str, *, company_field: str = "company_id") -> Subquery:
    """The stored value of the company's plain (not secret) setting `key`, NULL when unset, as a
    subquery to annotate rows naming their company in `company_field` with: a setting read inside
    a query that runs anyway. Within the current company scope."""
    plain = CompanySetting.objects.filter(company_id=OuterRef(company_field), key=key).exclude(
        value_type=CompanySetting.ValueType.SECRET
    )
    return Subquery(plain.values("value")[:1])
