import factory
from django.utils import timezone

from conversations.models import Channel, Conversation, Message
from customers.models import Customer
from tenants.tests.factories import CompanyOwnedFactory


class ChannelFactory(CompanyOwnedFactory):
    class Meta:
        model = Channel

    name = factory.Sequence(lambda n: f"channel-{n}")


class CustomerFactory(CompanyOwnedFactory):
    class Meta:
        model = Customer

    phone = factory.Sequence(lambda n: f"+55119{n:08d}")


class ConversationFactory(CompanyOwnedFactory):
    class Meta:
        model = Conversation

    channel = factory.SubFactory(ChannelFactory, company=factory.SelfAttribute("..company"))
    customer = factory.SubFactory(CustomerFactory, company=factory.SelfAttribute("..company"))


class MessageFactory(CompanyOwnedFactory):
    """A customer's message, already processed (direction="out" with status="sent" for ours)."""

    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory, company=factory.SelfAttribute("..company"))
    channel = factory.SelfAttribute("conversation.channel")
    direction = Message.Direction.INBOUND
    text = factory.Sequence(lambda n: f"mensagem {n}")
    status = Message.Status.PROCESSED
    send_after = factory.LazyFunction(timezone.now)
