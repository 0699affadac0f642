import pytest

from tenants.models import CompanySetting
from tenants.scoping import TenantScopeError, company_scope, current_company_id
from tenants.tests.factories import CompanySettingFactory


def test_query_without_company_raises(company_a):
    CompanySettingFactory(company=company_a)

    with pytest.raises(TenantScopeError):
        list(CompanySetting.objects.all())
    with pytest.raises(TenantScopeError):
        CompanySetting.objects.count()
    with pytest.raises(TenantScopeError):
        CompanySetting.objects.filter(key="x").exists()
    with pytest.raises(TenantScopeError):
        CompanySetting.objects.update(value="y")
    with pytest.raises(TenantScopeError):
        CompanySetting.objects.filter(key="x").delete()
    with pytest.raises(TenantScopeError):
        CompanySetting.objects.get(key="x")


def test_building_a_queryset_without_company_is_allowed_until_evaluated(db):
    queryset = CompanySetting.objects.filter(key="x")

    assert list(queryset.none()) == []


def test_scope_shows_only_the_current_company(company_a, company_b):
    mine = CompanySettingFactory(company=company_a, key="mine")
    CompanySettingFactory(company=company_b, key="theirs")

    with company_scope(company_a):
        assert list(CompanySetting.objects.values_list("key", flat=True)) == ["mine"]
        assert CompanySetting.objects.get(pk=mine.pk) == mine


def test_scope_is_restored_after_the_block(company_a, company_b):
    with company_scope(company_a):
        with company_scope(company_b):
            assert current_company_id() == company_b.pk
        assert current_company_id() == company_a.pk
    assert current_company_id() is None


def test_for_company_and_unscoped_are_explicit_doors(company_a, company_b):
    CompanySettingFactory(company=company_a)
    CompanySettingFactory(company=company_b)

    assert CompanySetting.objects.for_company(company_b).count() == 1
    assert CompanySetting.objects.unscoped().count() == 2
