"""What a company still has to set up for its published bot to work: the apps above tenants register
checks `(company) -> list[str]` (pt-BR warnings for staff) and the company's admin page shows them."""

from collections.abc import Callable

import structlog

logger = structlog.get_logger(__name__)

ReadinessCheck = Callable[[object], list]
_checks: list[ReadinessCheck] = []


def company_check_register(check: ReadinessCheck) -> None:
    """Ask `check` for warnings whenever a company's readiness is shown (once per function)."""
    if check not in _checks:
        _checks.append(check)


def company_warnings(company) -> list[str]:
    """Every registered check's warnings for `company`; a check that fails is logged and skipped."""
    found: list[str] = []
    for check in _checks:
        try:
            found += [str(text) for text in check(company) or ()]
        except Exception:  # a broken check must not break the company page
            logger.exception("company_check_failed", check=getattr(check, "__name__", repr(check)))
    return found
