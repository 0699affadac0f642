import pytest
from django.utils import translation

from carts.tests.factories import CustomerFactory
from conversations.models import Channel, Conversation, Message
from tenants.scoping import company_scope


@pytest.fixture
def english():
    """Assert the English msgids whatever the compiled pt-BR catalog holds."""
    with translation.override("en"):
        yield


@pytest.fixture
def customer_a(company_a):
    return CustomerFactory(company=company_a)


@pytest.fixture
def conversation_a(company_a, customer_a):
    with company_scope(company_a):
        channel = Channel.objects.create(company=company_a, name="principal", status=Channel.Status.CONNECTED)
        return Conversation.objects.create(company=company_a, channel=channel, customer=customer_a)


def outbound_texts(company) -> list[str]:
    return list(
        Message.objects.for_company(company)
        .filter(direction=Message.Direction.OUTBOUND)
        .order_by("id")
        .values_list("text", flat=True)
    )
