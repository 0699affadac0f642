"""The conversation's bot: flows registers `handle_message` with conversations.handlers (FlowsConfig.ready)."""

from conversations.handlers import OutboundIntent as PipelineIntent
from conversations.models import Conversation, Message
from flows.engine import Document
from flows.services import flow_handle_inbound


def handle_message(*, conversation: Conversation, text: str, message: Message | None = None) -> list[PipelineIntent]:
    """Run the flow on the buffered `text` (and `message`'s document, if it is one); return the
    pipeline's intents, text only, with delays counted from now and never decreasing."""
    document = None
    if message is not None and message.kind == Message.Kind.DOCUMENT:
        document = Document(mime=message.media_mime, name=message.file_name)
    intents = flow_handle_inbound(conversation=conversation, text=text, document=document)
    return [PipelineIntent(text=i.text, delay_seconds=i.delay_seconds) for i in intents]
