"""Entry point for session requests (admin, browsable API): resolve and set the current company."""

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
        try:
            return self.get_response(request)
        finally:
            reset_company_id(token)


def bind_access(request, access) -> None:
    request.company_access = access
    request.company = access.company
