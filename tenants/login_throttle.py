"""The admin's sign-in form, with failed attempts limited per username and per client address.

Past LOGIN_FAILURES_PER_USER failures for one username, or LOGIN_FAILURES_PER_IP from one
address, within LOGIN_LOCKOUT_SECONDS, every attempt is refused (even with the right password)
until the window ends. A successful sign-in clears its username's count, not its address's.
"""

import structlog
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.throttle import Limit, attempt_record, attempts_reset, client_ip, limit_reached, throttle_key

logger = structlog.get_logger(__name__)


def login_limits(username: str, ip: str) -> list[tuple[str, str, Limit]]:
    """(scope, cache key, limit) of each counter a sign-in attempt is charged to."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    return [
        ("user", throttle_key("login-user", username), Limit(settings.LOGIN_FAILURES_PER_USER, window)),
        ("ip", throttle_key("login-ip", ip), Limit(settings.LOGIN_FAILURES_PER_IP, window)),
    ]


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked": _("Too many failed sign-in attempts for this user or address. Try again in %(minutes)s minutes."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        counters = login_limits(username, client_ip(self.request))
        for scope, key, limit in counters:
            if limit_reached(key, limit):
                logger.warning("admin_login_locked", scope=scope)
                raise ValidationError(self.error_messages["locked"], code="locked", params={"minutes": limit.minutes})
        try:
            cleaned = super().clean()
        except ValidationError:
            for _scope, key, limit in counters:
                attempt_record(key, limit)
            raise
        if self.user_cache is not None:
            attempts_reset(counters[0][1])
        return cleaned
