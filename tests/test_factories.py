"""Every model factory builds a valid row whose related rows all belong to the row's company."""

import pytest

from carts.tests.factories import CartFactory, CartItemFactory
from catalog.tests.factories import CategoryFactory, DeliveryZoneFactory, ProductFactory
from conversations.tests.factories import ChannelFactory, ConversationFactory, InboundEventFactory, MessageFactory
from customers.tests.factories import CustomerFactory
from flows.tests.factories import FlowFactory, FlowMessageFactory, FlowTemplateFactory, SubflowFactory
from leads.tests.factories import ImportRunFactory, LeadFactory
from orders.tests.factories import OrderFactory, OrderItemFactory, PaymentFactory
from privacy.tests.factories import PrivacyRequestFactory
from tenants.models import CompanyOwned
from tenants.scoping import company_scope

FACTORIES = [
    CartFactory, CartItemFactory, CategoryFactory, DeliveryZoneFactory, ProductFactory, ChannelFactory,
    ConversationFactory, InboundEventFactory, MessageFactory, FlowFactory, FlowMessageFactory, FlowTemplateFactory,
    SubflowFactory, CustomerFactory, ImportRunFactory, LeadFactory, OrderFactory, OrderItemFactory, PaymentFactory,
    PrivacyRequestFactory,
]  # fmt: skip


def companies_of_related_rows(row) -> set[int]:
    related = (getattr(row, field.name) for field in row._meta.concrete_fields if field.many_to_one)
    return {other.company_id for other in related if isinstance(other, CompanyOwned)}


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda factory: factory.__name__)
def test_factory_builds_a_valid_row_of_one_company(db, factory):
    row = factory()

    with company_scope(row.company):
        row.full_clean()  # unique checks query through the scoped manager
    assert companies_of_related_rows(row) <= {row.company_id}


def test_child_rows_take_their_parents_company(company_a):
    conversation = ConversationFactory(company=company_a)
    order = OrderFactory(company=company_a)

    rows = [MessageFactory(conversation=conversation), OrderItemFactory(order=order), PaymentFactory(order=order)]

    assert {row.company_id for row in rows} == {company_a.pk}
    assert rows[0].channel_id == conversation.channel_id
    assert rows[2].amount == order.total
