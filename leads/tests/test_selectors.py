"""The customer's lead and cart recovery beside a conversation in the staff inbox."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from carts.models import Cart
from conversations.tests.factories import ConversationFactory
from leads.models import Lead
from leads.recovery import recovery_refresh
from leads.selectors import recovery_panel_section
from orders.models import Order
from orders.tests.conftest import english  # noqa: F401 - fixtures
from tenants.scoping import company_scope

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def conversation(company_a):
    with company_scope(company_a):
        return ConversationFactory(company=company_a)


def test_lead_and_abandoned_cart_with_its_recovery_status(company_a, conversation):
    now = timezone.now()
    with company_scope(company_a):
        lead = Lead.objects.create(
            company=company_a, customer=conversation.customer, external_id="f1", form_id="Orçamento", submitted_at=now
        )
        cart = Cart.objects.create(
            company=company_a,
            customer=conversation.customer,
            source="woocommerce",
            status="abandoned",
            external_id="w1",
            last_activity_at=now - timedelta(days=1),
        )
        Order.objects.create(
            company=company_a, customer=conversation.customer, total=Decimal("50"), placed_at=now, status="paid"
        )  # paid: pending orders recover a cart only when the company says so (issue 21)
        recovery_refresh(company_a)  # as imports do: the match is stored with the cart

        section = recovery_panel_section(conversation)

    assert [(row.label, row.url) for row in section.rows] == [
        ("Lead", reverse("admin:leads_lead_change", args=[lead.pk])),
        ("Abandoned cart", reverse("admin:leads_importedcart_change", args=[cart.pk])),
    ]
    assert section.rows[0].value.startswith("Orçamento · ")
    assert section.rows[1].value.endswith("· recovered")


def test_neither_lead_nor_abandoned_cart(company_a, conversation):
    with company_scope(company_a):
        section = recovery_panel_section(conversation)

    assert (section.rows, section.empty) == ([], "Not a lead; no abandoned cart.")
