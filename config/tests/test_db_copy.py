import pytest
from django.db import transaction

from config.db_copy import among, copy_upsert
from customers.models import Customer, CustomerIdentity
from tenants.models import Company


def _company_and_customer(slug):
    company = Company.objects.create(slug=slug, name=slug)
    return company, Customer.objects.for_company(company).create(company=company, name="Ana")


@pytest.mark.django_db
def test_among_finds_values_holding_quotes_backslashes_commas_and_braces():
    company, customer = _company_and_customer("among")
    values = ['a"b', "c\\d", "x,y", "{z}", " sp ", "NULL", "", "ção"]
    for value in values:
        CustomerIdentity.objects.for_company(company).create(
            company=company, customer=customer, kind="email", value=value
        )
    found = CustomerIdentity.objects.for_company(company).filter(among(CustomerIdentity, "value", [*values, "x"]))
    assert sorted(found.values_list("value", flat=True)) == sorted(values)


def _upsert(company, customer, values):
    return copy_upsert(
        CustomerIdentity,
        fixed={"company_id": company.pk},
        columns=("customer_id", "kind", "value"),
        rows=[(customer.pk, "email", value) for value in values],
        conflict=("company_id", "value"),
        key="value",
    )


@pytest.mark.django_db(transaction=True)
def test_copy_upsert_works_after_a_rolled_back_first_use_and_tells_inserted_from_changed():
    company, customer = _company_and_customer("upsert")
    other = Customer.objects.for_company(company).create(company=company, name="Bia")
    with pytest.raises(RuntimeError), transaction.atomic():  # the staging table's creation is rolled back
        _upsert(company, customer, ["a@x.com"])
        raise RuntimeError
    with transaction.atomic():
        assert {key: new for key, (_id, new) in _upsert(company, customer, ["a@x.com"]).items()} == {"a@x.com": True}
    with transaction.atomic():  # the staging table is known to exist now: not created again
        written = copy_upsert(
            CustomerIdentity,
            fixed={"company_id": company.pk},
            columns=("customer_id", "kind", "value"),
            rows=[(other.pk, "email", "a@x.com"), (customer.pk, "email", "b@x.com")],
            conflict=("company_id", "value"),
            key="value",
        )
    assert {key: new for key, (_id, new) in written.items()} == {"a@x.com": False, "b@x.com": True}
    with transaction.atomic():
        assert _upsert(company, customer, ["b@x.com"]) == {}  # unchanged: not returned
