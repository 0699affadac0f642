import factory
from django.utils import timezone

from privacy.models import PrivacyRequest
from tenants.tests.factories import CompanyOwnedFactory


class PrivacyRequestFactory(CompanyOwnedFactory):
    """A finished export request (its zip not stored unless the test saves one)."""

    class Meta:
        model = PrivacyRequest

    kind = PrivacyRequest.Kind.EXPORT
    status = PrivacyRequest.Status.SUCCEEDED
    customer_ref = factory.Sequence(lambda n: n + 1)
    requested_by = "manager"
    finished_at = factory.LazyFunction(timezone.now)
