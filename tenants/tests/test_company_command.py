import pytest
from django.core.management import CommandError
from django.utils import translation

from tenants.commands import CompanyCommand
from tenants.models import CompanySetting
from tenants.scoping import current_company_id
from tenants.tests.factories import CompanySettingFactory


class CountSettings(CompanyCommand):
    def handle(self, *args, company, **options):
        return f"{current_company_id()}:{CompanySetting.objects.count()}"


def test_empresa_sets_the_scope(company_a, company_b):
    CompanySettingFactory(company=company_b)

    output = CountSettings().execute(empresa=company_b.slug, no_color=True, force_color=False, skip_checks=True)

    assert output == f"{company_b.pk}:1"
    assert current_company_id() is None


def test_unknown_empresa_is_a_clear_error(db):
    with translation.override("en"), pytest.raises(CommandError, match="'nope' does not exist") as raised:
        CountSettings().execute(empresa="nope", no_color=True, force_color=False, skip_checks=True)

    assert raised.value.returncode == 2
