"""Entry point for session requests (admin, browsable API): resolve and set the current company."""

import zoneinfo

from django.utils import timezone

from tenants.scoping import reset_company_id, set_company_id
from tenants.selectors import NO_ACCESS, company_access

SESSION_KEY = "balcao_company_id"


class CurrentCompanyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        access = NO_ACCESS
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            access = company_access(user, request.session.get(SESSION_KEY))
        bind_access(request, access)
        token = set_company_id(access.company.pk if access.company else None)
        zone = _company_zone(access.company)
        if zone is not None:
            timezone.activate(zone)  # pages show times in the company's zone
        try:
            return self.get_response(request)
        finally:
            reset_company_id(token)
            if zone is not None:
                timezone.deactivate()


def bind_access(request, access) -> None:
    request.company_access = access
    request.company = access.company


def _company_zone(company) -> zoneinfo.ZoneInfo | None:
    if company is None or not company.timezone:
        return None
    try:
        return zoneinfo.ZoneInfo(company.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
