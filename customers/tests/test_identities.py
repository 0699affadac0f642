import pytest

from customers.models import CustomerIdentity
from customers.services import Person, customers_resolve, email_identity


@pytest.mark.parametrize(
    ("typed", "identity"),
    [("Ana@Example.com ", "ana@example.com"), ("nao tenho", ""), ("a@b", ""), ("", ""), ("x" * 300, "")],
)
def test_only_valid_addresses_are_email_identities(typed, identity):
    assert email_identity(typed) == identity


@pytest.mark.django_db(transaction=True)
def test_identities_are_stored_outside_a_transaction_too(company_a):
    """The identities go through COPY and a staging table that empties at commit: in autocommit mode
    (a live server, a shell) they must still arrive."""
    people = [Person(phone_raw="(11) 98765-4321", email="ana@example.com"), Person(phone_raw="(21) 99876-5432", email="ana@example.com")]  # fmt: skip

    ana, again = customers_resolve(company=company_a, people=people)[0]

    assert ana == again
    assert set(CustomerIdentity.objects.for_company(company_a).values_list("customer_id", "value")) == {
        (ana.pk, "+5511987654321"),
        (ana.pk, "+5521998765432"),
        (ana.pk, "ana@example.com"),
    }
