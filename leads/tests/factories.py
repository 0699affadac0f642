from datetime import timedelta

import factory
from django.utils import timezone

from leads.models import Customer, ImportRun, Lead
from tenants.tests.factories import CompanyOwnedFactory


class CustomerFactory(CompanyOwnedFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Cliente {n}")
    phone = factory.Sequence(lambda n: f"+55119{n:08d}")


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
