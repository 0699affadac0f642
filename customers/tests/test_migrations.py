"""The move of Customer from leads to customers keeps every row and every foreign key to it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE_THE_MOVE = [("customers", None)]  # unapplies the move and every migration that builds on it


@pytest.mark.django_db(transaction=True)
def test_customer_move_keeps_rows_and_foreign_keys(postgres_only):
    executor = MigrationExecutor(connection)
    old = executor.migrate(BEFORE_THE_MOVE).apps
    company = old.get_model("tenants", "Company").objects.create(name="Pizzaria", slug="pizzaria-move")
    customer_model = old.get_model("leads", "Customer")
    ana = customer_model.objects.create(
        company=company, name="Ana", phone="+5511987654321", opted_out_at=timezone.now()
    )
    bia = customer_model.objects.create(company=company, name="Bia", email="bia@example.com")
    lead = old.get_model("leads", "Lead").objects.create(company=company, customer=ana, external_id="fv-1")
    cart = old.get_model("carts", "Cart").objects.create(company=company, customer=ana, last_activity_at=timezone.now())
    session = old.get_model("carts", "SessionContext").objects.create(
        company=company, customer=bia, expires_at=timezone.now() + timedelta(minutes=5)
    )
    order = old.get_model("orders", "Order").objects.create(company=company, customer=bia)
    channel = old.get_model("conversations", "Channel").objects.create(company=company, name="loja")
    conversation = old.get_model("conversations", "Conversation").objects.create(
        company=company, channel=channel, customer=ana
    )

    executor.loader.build_graph()
    new = executor.migrate(executor.loader.graph.leaf_nodes()).apps

    customer_model = new.get_model("customers", "Customer")
    assert customer_model._meta.db_table == "customers_customer"
    assert sorted(customer_model.objects.values_list("pk", "name", "phone", "email")) == [
        (ana.pk, "Ana", "+5511987654321", ""),
        (bia.pk, "Bia", "", "bia@example.com"),
    ]
    assert customer_model.objects.get(pk=ana.pk).opted_out_at is not None
    assert new.get_model("leads", "Lead").objects.get(pk=lead.pk).customer.name == "Ana"
    assert new.get_model("carts", "Cart").objects.get(pk=cart.pk).customer.name == "Ana"
    assert new.get_model("carts", "SessionContext").objects.get(pk=session.pk).customer.name == "Bia"
    assert new.get_model("orders", "Order").objects.get(pk=order.pk).customer.name == "Bia"
    assert new.get_model("conversations", "Conversation").objects.get(pk=conversation.pk).customer.name == "Ana"
    # The foreign keys are real constraints on the renamed table, and new ids follow the old ones.
    assert _foreign_keys_to("customers_customer") >= {
        ("carts_cart", "customer_id"),
        ("carts_sessioncontext", "customer_id"),
        ("orders_order", "customer_id"),
        ("conversations_conversation", "customer_id"),
        ("leads_lead", "customer_id"),
    }
    assert customer_model.objects.create(company_id=company.pk, name="Caio").pk > bia.pk


def _foreign_keys_to(table: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT cl.relname, att.attname
            FROM pg_constraint con
            JOIN pg_class cl ON cl.oid = con.conrelid
            JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = ANY(con.conkey)
            WHERE con.contype = 'f' AND con.confrelid = %s::regclass
            """,
            [table],
        )
        return set(cursor.fetchall())
