import pytest
from celery import shared_task

from tenants.models import CompanySetting
from tenants.scoping import TenantScopeError, current_company_id
from tenants.tasks import company_task
from tenants.tests.factories import CompanySettingFactory


@company_task(name="tenants.tests.count_settings_task")
def count_settings_task(*, company_id: int) -> tuple[int | None, int]:
    return current_company_id(), CompanySetting.objects.count()


def test_company_task_runs_scoped_to_its_company(company_a, company_b):
    CompanySettingFactory(company=company_a)
    CompanySettingFactory(company=company_b)
    CompanySettingFactory(company=company_b)

    assert count_settings_task(company_id=company_b.pk) == (company_b.pk, 2)
    assert current_company_id() is None


def test_company_task_without_company_id_refuses(db):
    with pytest.raises(TenantScopeError):
        count_settings_task()


def test_unscoped_plain_task_cannot_read_tenant_rows(company_a):
    @shared_task(name="tenants.tests.careless_task")
    def careless_task():
        return CompanySetting.objects.count()

    with pytest.raises(TenantScopeError):
        careless_task()
