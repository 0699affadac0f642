"""Who may export or erase a person's data: the company's owners and managers (and superusers in a
session). Agents and viewers work with the same rows day to day, but never take them all out or
destroy them."""

from rest_framework.permissions import BasePermission

from tenants.models import Membership
from tenants.selectors import NO_ACCESS, CompanyAccess

PERSONAL_DATA_ROLES = frozenset({Membership.Role.OWNER, Membership.Role.MANAGER})


def may_handle_personal_data(access: CompanyAccess) -> bool:
    if access.company is None:
        return False
    if access.is_superuser:
        return True
    return access.membership is not None and access.membership.role in PERSONAL_DATA_ROLES


class OwnersAndManagers(BasePermission):
    """API: the request's membership is an owner's or a manager's (403 otherwise, whatever the id)."""

    def has_permission(self, request, view):
        return may_handle_personal_data(getattr(request, "company_access", NO_ACCESS))
