"""The conversation's bot: flows registers `handle_message` with conversations.handlers (FlowsConfig.ready)."""

from conversations.handlers import NothingToSay, OutboundIntent
from conversations.models import Conversation, Message
from flows.engine import Document
from flows.selectors import live_template
from flows.services import flow_handle_inbound
from tenants.services import company_settings_memoized

FILE_KINDS = (Message.Kind.DOCUMENT, Message.Kind.IMAGE, Message.Kind.AUDIO)


def handle_message(*, conversation: Conversation, text: str, message: Message | None = None) -> list[OutboundIntent]:
    """Run the flow on the buffered `text` (and `message`'s file, if it is one); return the
    messages to send, with delays counted from now and never decreasing."""
    document = None
    # A "wait for a file" step takes a document, an image (a Pix receipt) or a voice note.
    if message is not None and message.kind in FILE_KINDS:
        document = Document(mime=message.media_mime, name=message.file_name)
    with company_settings_memoized():  # the turn's actions read several settings: one query
        intents = flow_handle_inbound(conversation=conversation, text=text, document=document)
    if not intents and live_template() is None:
        return NothingToSay()  # no live flow: nothing to say, not "not understood"
    return intents
