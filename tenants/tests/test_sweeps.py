import pytest

from tenants.scoping import current_company_id
from tenants.sweeps import sweep_companies
from tenants.tests.factories import CompanyFactory


def test_visits_the_active_companies_in_pk_order_each_in_its_scope(company_a, company_b):
    closed = CompanyFactory(active=False)

    visited = [(company.pk, current_company_id()) for company in sweep_companies()]

    assert visited == [(company_a.pk, company_a.pk), (company_b.pk, company_b.pk)]
    assert closed.pk in [company.pk for company in sweep_companies(include_inactive=True)]
    assert current_company_id() is None


def test_the_scope_closes_when_the_loop_breaks_or_raises(company_a, company_b):
    for _company in sweep_companies():
        break
    assert current_company_id() is None

    with pytest.raises(RuntimeError):
        for _company in sweep_companies():
            raise RuntimeError("one company failed")
    assert current_company_id() is None
