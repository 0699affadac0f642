import factory

from conversations.models import Channel, Conversation, InboundEvent, Message
from customers.tests.factories import CustomerFactory
from tenants.tests.factories import CompanyOwnedFactory


class ChannelFactory(CompanyOwnedFactory):
    class Meta:
        model = Channel

    name = factory.Sequence(lambda n: f"channel-{n}")


class ConversationFactory(CompanyOwnedFactory):
    class Meta:
        model = Conversation

    channel = factory.SubFactory(ChannelFactory, company=factory.SelfAttribute("..company"))
    customer = factory.SubFactory(CustomerFactory, company=factory.SelfAttribute("..company"))


class MessageFactory(CompanyOwnedFactory):
    """A received text message of `conversation` (its company and channel); outbound ones pass direction and status."""

    class Meta:
        model = Message

    company = factory.SelfAttribute("conversation.company")
    conversation = factory.SubFactory(ConversationFactory)
    channel = factory.SelfAttribute("conversation.channel")
    direction = Message.Direction.INBOUND
    status = Message.Status.RECEIVED
    text = factory.Sequence(lambda n: f"mensagem {n}")


class InboundEventFactory(CompanyOwnedFactory):
    class Meta:
        model = InboundEvent

    channel = factory.SubFactory(ChannelFactory, company=factory.SelfAttribute("..company"))
    body = "{}"
