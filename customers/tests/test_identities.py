import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import CustomerIdentity
from customers.services import (
    KnownCustomers,
    Person,
    customer_ids_resolve,
    customers_resolve,
    email_identity,
    person_of,
)


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


def _identity_queries(captured) -> int:
    return len(
        [q for q in captured.captured_queries if "customers_customeridentity" in q["sql"] and "SELECT" in q["sql"]]
    )


@pytest.mark.django_db
def test_keys_a_run_already_resolved_are_not_asked_again(company_a):
    """An import keeps its KnownCustomers across batches: a repeat customer is found without a query,
    and a batch asks only for the keys it brings new."""
    known = KnownCustomers()
    ana = person_of("Ana", "(11) 98765-4321", "ana@example.com")
    bia = person_of("Bia", "(21) 99876-5432", "")
    first, _created = customer_ids_resolve(company=company_a, people=[ana, bia], known=known)

    with CaptureQueriesContext(connection) as repeat:
        again, created_again = customer_ids_resolve(company=company_a, people=[bia, ana, ana], known=known)
    cid = person_of("Cid", "(31) 98888-7777", "ana@example.com")  # Ana's e-mail, a new phone
    with CaptureQueriesContext(connection) as mixed:
        third, _created = customer_ids_resolve(company=company_a, people=[cid, bia], known=known)

    assert again == [first[1], first[0], first[0]] and created_again == 0
    assert repeat.captured_queries == []  # nothing new: not one query
    assert _identity_queries(mixed) == 1  # for Cid's phone only...
    assert not [q for q in mixed.captured_queries if "ana@example.com" in q["sql"]]
    assert third == [first[0], first[1]]  # ...and he is Ana's customer by her e-mail
    assert set(CustomerIdentity.objects.for_company(company_a).filter(customer_id=first[0]).values_list("value", flat=True)) == {
        "+5511987654321", "+5531988887777", "ana@example.com",
    }  # fmt: skip


@pytest.mark.django_db
def test_known_customers_are_forgotten_past_their_limit(company_a):
    """Memory stays bounded on a store of millions: past the limit, only the last batch's keys are kept."""
    known = KnownCustomers(limit=3)
    first, second = (person_of(f"P{n}", f"(11) 9876{n}-432{n}", f"p{n}@example.com") for n in range(2))

    customer_ids_resolve(company=company_a, people=[first], known=known)
    assert set(known.owner) == {first.phone, first.email_key}
    customer_ids_resolve(company=company_a, people=[second], known=known)

    assert set(known.owner) == {second.phone, second.email_key}
    assert len(known.by_pk) == 1
