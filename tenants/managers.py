"""The fail-closed manager every tenant-owned model uses (see `tenants.scoping` for the gaps)."""

from django.db import models

from tenants.scoping import TenantScopeError, current_company_id


class CompanyQuerySet(models.QuerySet):
    """A queryset that, when built without a current company, raises as soon as it hits the database."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._refuses_unscoped = False

    def _clone(self):
        clone = super()._clone()
        clone._refuses_unscoped = self._refuses_unscoped
        return clone

    def refuse_unscoped(self):
        clone = self._chain()
        clone._refuses_unscoped = True
        return clone

    def _guard(self) -> None:
        if self._refuses_unscoped:
            raise TenantScopeError(
                f"{self.model.__name__} is company-scoped and no company is current: "
                "use company_scope(), .for_company() or, for global code, .unscoped()."
            )

    def none(self):
        clone = super().none()
        clone._refuses_unscoped = False
        return clone

    def _fetch_all(self):
        self._guard()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._guard()
        return super().iterator(*args, **kwargs)

    def count(self):
        self._guard()
        return super().count()

    def exists(self):
        self._guard()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._guard()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._guard()
        return super().update(**kwargs)

    def delete(self):
        self._guard()
        return super().delete()

    def explain(self, *args, **kwargs):
        self._guard()
        return super().explain(*args, **kwargs)


class CompanyManager(models.Manager.from_queryset(CompanyQuerySet)):
    """Default manager of `CompanyOwned`: filtered to the current company, refusing without one."""

    def get_queryset(self):
        queryset = super().get_queryset()
        company_id = current_company_id()
        if company_id is None:
            return queryset.refuse_unscoped()
        return queryset.filter(company_id=company_id)

    def for_company(self, company):
        """Rows of one explicit company, whatever is current (admin, jobs)."""
        return super().get_queryset().filter(company_id=getattr(company, "pk", company))

    def unscoped(self):
        """Every company's rows. The only cross-company door; callers are on an allow-list test."""
        return super().get_queryset()
