"""The current company, held in a context variable.

Every entry point sets it in exactly one place: `CurrentCompanyMiddleware` (admin and other
session requests), `CompanyScopedViewSetMixin.initial()` (API, after token or session auth),
`CompanyTask` (Celery, from the `company_id` keyword), `CompanyCommand` (management commands,
from `--empresa`) and the webhook views (from the channel's inbound key).

What the scoped manager built on this does NOT cover: access through a foreign key uses the
model's base manager (unscoped), raw SQL bypasses the ORM, and an unscoped queryset embedded as
a subquery is compiled, not evaluated. The isolation harness exists for those gaps.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current_company_id: ContextVar[int | None] = ContextVar("current_company_id", default=None)


class TenantScopeError(RuntimeError):
    """A tenant-owned table was queried with no current company."""


def current_company_id() -> int | None:
    return _current_company_id.get()


def require_company_id() -> int:
    company_id = _current_company_id.get()
    if company_id is None:
        raise TenantScopeError("No current company: run this inside company_scope(company_id).")
    return company_id


@contextmanager
def company_scope(company) -> Iterator[int | None]:
    """Make `company` (a Company, an id or None) current for the block, restoring the previous one."""
    company_id = getattr(company, "pk", company)
    token = _current_company_id.set(int(company_id) if company_id is not None else None)
    try:
        yield company_id
    finally:
        _current_company_id.reset(token)


def set_company_id(company_id: int | None):
    """Low-level setter for entry points whose start and end are separate hooks; pair with reset."""
    return _current_company_id.set(company_id)


def reset_company_id(token) -> None:
    _current_company_id.reset(token)
