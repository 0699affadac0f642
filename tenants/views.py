from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tenants.middleware import SESSION_KEY
from tenants.selectors import user_companies


@staff_member_required
@require_POST
def switch_company(request):
    """The admin's company switcher. An empty choice means "all companies" for superusers."""
    chosen = request.POST.get("company_id", "")
    if chosen.isdigit() and user_companies(request.user).filter(pk=chosen).exists():
        request.session[SESSION_KEY] = int(chosen)
    elif not chosen and request.user.is_superuser:
        request.session.pop(SESSION_KEY, None)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/admin/"
    return HttpResponseRedirect(target)
