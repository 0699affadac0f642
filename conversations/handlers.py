"""Who answers a conversation's buffered messages: the apps above conversations register here.

Conversations knows nothing of the bot or of commerce. Processing calls `handlers_run()`, which
asks each pre-handler in registration order, then the bot handler:

- a pre-handler `(*, conversation, text, message) -> bool` takes a message that belongs to it
  rather than to the bot (the rating answer); True means "taken: the bot must not answer it";
- the bot handler `(*, conversation, text, message) -> Iterable[OutboundIntent]` answers the rest
  (the flows app registers its engine). Without one, nothing answers.

When a bot message finally fails to be delivered, the bot's send-failure policy
`(*, conversation) -> bool` says whether a human takes the conversation over (True, the default
without one) or nothing more happens (the message stays `failed`, staff can resend it).

When staff hand a conversation back to the bot in the inbox (or resolve it), the bot's resumer
`(*, conversation, point) -> BotResumption` moves the bot's own state to the chosen point (a
`conversations.services.ResumePoint`, or None: forget where it stood) and says what to send now.

Handlers run inside the processing transaction, under the conversation's row lock, so what they
write commits with the conversation's messages. Apps register in their AppConfig.ready().
"""

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from conversations.models import Conversation, Message


@dataclass(frozen=True)
class OutboundIntent:
    """One message the bot wants to send; queued through the outbound choke point.

    `delay_seconds` counts from the moment of the decision and never decreases along a list, so
    sending each at now + delay keeps their order.
    """

    text: str = ""
    kind: str = Message.Kind.TEXT
    media_url: str = ""
    media_mime: str = ""
    file_name: str = ""
    delay_seconds: int = 0


@dataclass(frozen=True)
class BotResumption:
    """What the bot did on resuming: messages to send now, whether it now waits for the customer's
    answer, and the conversation's variables when it changed them (the caller saves them)."""

    intents: tuple[OutboundIntent, ...] = ()
    waiting: bool = False
    variables: dict | None = None


class NothingToSay(list):
    """An empty answer from a bot with nothing configured to say (no live flow): processing does not
    fill in its "not understood" answer."""


BotHandler = Callable[..., Iterable[OutboundIntent]]
PreHandler = Callable[..., bool]
BotResumer = Callable[..., BotResumption]

_bot: list[BotHandler] = []  # at most one
_pre: list[PreHandler] = []
_resumer: list[BotResumer] = []  # at most one
_send_failure: list[Callable[..., bool]] = []  # at most one


def bot_handler_register(handler: BotHandler) -> None:
    """Make `handler` the conversation's bot (replaces the one registered before)."""
    _bot[:] = [handler]


def pre_handler_register(handler: PreHandler) -> None:
    """Ask `handler` before the bot (once, however often it is registered)."""
    if handler not in _pre:
        _pre.append(handler)


def bot_resumer_register(resumer: BotResumer) -> None:
    """Make `resumer` the way the bot resumes after staff (replaces the one registered before)."""
    _resumer[:] = [resumer]


def send_failure_policy_register(policy: Callable[..., bool]) -> None:
    """Make `policy` decide whether a bot message's final delivery failure hands the conversation
    over (replaces the one registered before)."""
    _send_failure[:] = [policy]


def send_failure_hands_over(*, conversation: Conversation) -> bool:
    """Whether a human takes `conversation` over now that a bot message of it failed for good; True
    without a registered policy. Runs in the caller's transaction with the conversation locked."""
    return _send_failure[0](conversation=conversation) if _send_failure else True


def bot_resume(*, conversation: Conversation, point: str | None) -> BotResumption:
    """Let the bot resume at `point` (nothing happens without a registered resumer). Runs in the
    caller's transaction with the conversation locked; the resumer writes only the bot's own rows."""
    if not _resumer:
        return BotResumption()
    return _resumer[0](conversation=conversation, point=point)


@contextmanager
def bot_handler_replaced(handler: BotHandler):
    """Answer with `handler` inside the block (tests of the pipeline with a stand-in bot)."""
    saved = list(_bot)
    _bot[:] = [handler]
    try:
        yield handler
    finally:
        _bot[:] = saved


def handlers_run(*, conversation: Conversation, text: str, message: Message) -> list[OutboundIntent]:
    """The pre-handlers, then the bot, on the buffered `text` (`message`: the newest buffered one)."""
    for pre in _pre:
        if pre(conversation=conversation, text=text, message=message):
            return []
    if not _bot:
        return []
    answer = _bot[0](conversation=conversation, text=text, message=message)
    return answer if isinstance(answer, NothingToSay) else list(answer or [])
