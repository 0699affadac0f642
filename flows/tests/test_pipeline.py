from conversations.models import Message
from conversations.processing import OutboundIntent
from flows.models import FlowMessage
from flows.pipeline import handle_message
from flows.tests.factories import ConversationFactory, FlowFactory, SubflowFactory
from tenants.scoping import company_scope


def test_pipeline_handler_passes_documents_and_returns_pipeline_intents(company_a):
    with company_scope(company_a):
        subflow = SubflowFactory(company=company_a, flow=FlowFactory(company=company_a))
        FlowMessage.objects.create(
            company=company_a,
            subflow=subflow,
            message_text="Envie o PDF",
            order_index=1,
            wait_for_file=True,
            expected_file_types=["application/pdf"],
        )
        FlowMessage.objects.create(
            company=company_a, subflow=subflow, message_text="Ok!", order_index=2, delay_seconds=4
        )
        conversation = ConversationFactory(company=company_a)
        document = Message(
            company=company_a,
            conversation=conversation,
            channel=conversation.channel,
            direction="in",
            kind=Message.Kind.DOCUMENT,
            media_mime="application/pdf",
            file_name="pix.pdf",
            status="received",
        )

        first = handle_message(conversation=conversation, text="oi", message=None)
        second = handle_message(conversation=conversation, text="", message=document)

    assert first == [OutboundIntent(text="Envie o PDF")]
    assert second == [OutboundIntent(text="Ok!", delay_seconds=4)]
