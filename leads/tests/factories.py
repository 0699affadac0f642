from datetime import timedelta

import factory
from django.utils import timezone

from leads.models import ImportRun, Lead
from tenants.tests.factories import CompanyOwnedFactory


class LeadFactory(CompanyOwnedFactory):
    class Meta:
        model = Lead

    external_id = factory.Sequence(str)
    name = factory.Sequence(lambda n: f"Lead {n}")


class ImportRunFactory(CompanyOwnedFactory):
    class Meta:
        model = ImportRun

    kind = ImportRun.Kind.ALL
    period_end = factory.LazyFunction(timezone.now)
    period_start = factory.LazyAttribute(lambda run: run.period_end - timedelta(days=1))
