from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from psycopg.types.json import Jsonb

from config import db_copy
from config.db_copy import among, copy_tuples, copy_upsert
from customers.models import Customer, CustomerIdentity
from orders.models import Order, OrderItem
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


def _copies_seen(monkeypatch) -> list[str]:
    statements = []
    real = db_copy._copy_rows

    def spy(raw_cursor, target, table, columns, rows):
        original_copy = raw_cursor.copy

        def copy(statement, *args, **kwargs):
            statements.append(statement)
            return original_copy(statement, *args, **kwargs)

        raw_cursor.copy = copy
        try:
            return real(raw_cursor, target, table, columns, rows)
        finally:
            del raw_cursor.copy

    monkeypatch.setattr(db_copy, "_copy_rows", spy)
    return statements


@pytest.mark.django_db
def test_numbers_dates_nulls_and_awkward_text_round_trip_through_binary_copy(monkeypatch, postgres_only):
    company, customer = _company_and_customer("binary")
    statements = _copies_seen(monkeypatch)
    when = datetime(2024, 3, 10, 15, 0, 0, 123456, tzinfo=UTC)
    written = copy_upsert(
        Order,
        fixed={"company_id": company.pk, "source": "woocommerce"},
        columns=("external_id", "customer_id", "status", "contact_email", "subtotal", "total", "placed_at", "paid_at"),
        rows=[("101", customer.pk, "paid", "a\tb\n\\c ção", Decimal("0.10"), Decimal("12345678.99"), when, None)],
        conflict=("company_id", "source", "external_id"),
        conflict_where="NOT (\"external_id\" = '')",
        key="external_id",
    )
    (order_id, inserted) = written["101"]
    copy_tuples(
        OrderItem,
        ("company_id", "order_id", "name", "quantity", "unit_price", "total"),
        [(company.pk, order_id, "Tênis\tCôrrida", 3, Decimal("33.33"), Decimal("99.99"))],
    )

    order = Order.objects.for_company(company).get()
    assert inserted
    assert (order.contact_email, order.subtotal, order.total) == (
        "a\tb\n\\c ção",
        Decimal("0.10"),
        Decimal("12345678.99"),
    )
    assert (order.placed_at, order.paid_at, order.customer_id) == (when, None, customer.pk)
    item = OrderItem.objects.for_company(company).get()
    assert (item.name, item.quantity, item.unit_price, item.product_id) == ("Tênis\tCôrrida", 3, Decimal("33.33"), None)
    assert len(statements) == 2 and all(s.endswith("(FORMAT BINARY)") for s in statements)


@pytest.mark.django_db
def test_a_json_column_keeps_the_text_format(monkeypatch, postgres_only):
    company = Company.objects.create(slug="json-copy", name="json")
    statements = _copies_seen(monkeypatch)

    copy_tuples(
        Customer, ("company_id", "name", "provider_contact_ids"), [(company.pk, "Ana", Jsonb({"meta": "5511"}))]
    )

    assert Customer.objects.for_company(company).get().provider_contact_ids == {"meta": "5511"}
    assert statements and "BINARY" not in statements[0]
    with connection.cursor() as cursor:
        assert db_copy._binary_types(cursor.cursor, "customers_customer", ("name", "provider_contact_ids")) is None
