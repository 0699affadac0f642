import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tenants.lock_objects import company_owned_qs_select_for_update
from tenants.models import CompanySetting
from tenants.scoping import TenantScopeError, company_scope
from tenants.tests.factories import CompanySettingFactory


def test_locks_the_company_rows_only_in_pk_order(postgres_only, company_a, company_b):
    mine = [CompanySettingFactory(company=company_a) for _ in range(3)]
    CompanySettingFactory(company=company_b)

    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        locked = list(company_owned_qs_select_for_update(CompanySetting, company=company_a))

    assert [row.pk for row in locked] == sorted(row.pk for row in mine)
    (sql,) = [query["sql"] for query in captured.captured_queries if "FOR UPDATE" in query["sql"]]
    assert 'ORDER BY "tenants_companysetting"."id" ASC' in sql
    assert sql.endswith('FOR UPDATE OF "tenants_companysetting"')


def test_skip_locked_is_asked_for(postgres_only, company_a):
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        list(company_owned_qs_select_for_update(CompanySetting, company=company_a, skip_locked=True))

    (sql,) = [query["sql"] for query in captured.captured_queries if "FOR UPDATE" in query["sql"]]
    assert sql.endswith("SKIP LOCKED")


def test_without_a_company_it_reads_the_current_scope_and_refuses_without_one(company_a, company_b):
    setting = CompanySettingFactory(company=company_a)
    CompanySettingFactory(company=company_b)

    with company_scope(company_a), transaction.atomic():
        assert list(company_owned_qs_select_for_update(CompanySetting)) == [setting]
    with pytest.raises(TenantScopeError), transaction.atomic():
        list(company_owned_qs_select_for_update(CompanySetting))
