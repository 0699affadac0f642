import pytest
from django.utils import translation

from conversations.models import Channel, Message
from conversations.tests.factories import ConversationFactory
from customers.tests.factories import CustomerFactory


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
    return ConversationFactory(
        company=company_a, customer=customer_a, channel__name="principal", channel__status=Channel.Status.CONNECTED
    )


def outbound_texts(company) -> list[str]:
    return list(
        Message.objects.for_company(company)
        .filter(direction=Message.Direction.OUTBOUND)
        .order_by("id")
        .values_list("text", flat=True)
    )
