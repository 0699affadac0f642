"""The adapter the message pipeline calls: `CONVERSATIONS_BOT_HANDLER = "flows.pipeline.handle_message"`."""

from conversations.models import Conversation, Message
from conversations.processing import OutboundIntent
from flows.engine import Document
from flows.services import flow_handle_inbound


def handle_message(*, conversation: Conversation, text: str, message: Message | None = None) -> list[OutboundIntent]:
    """Run the flow on the buffered `text` (and `message`'s document, if it is one); return the
    messages to send, with delays counted from now and never decreasing."""
    document = None
    if message is not None and message.kind == Message.Kind.DOCUMENT:
        document = Document(mime=message.media_mime, name=message.file_name)
    return flow_handle_inbound(conversation=conversation, text=text, document=document)
