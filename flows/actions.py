"""Action hooks: named functions other apps (commerce) attach to flow messages.

    from flows import actions

    @actions.register("show_catalog")
    def show_catalog(ctx: actions.ActionContext):
        return ["1. Margherita R$ 40", "2. Calabresa R$ 42"]

When it runs: a message that waits for a reply runs its action with that reply (`ctx.reply`);
a message that waits for nothing runs it right after being sent (`ctx.reply is None`).
A hook returns the messages to send next (strings or `OutboundIntent`s, their delays relative to
the hook's turn position), or None. It may change `ctx.variables`; the changes are saved, and
later messages of the same turn were already rendered. Register in your AppConfig.ready().

A hook can refuse the reply: it returns `Rejected(messages)` when the reply is not usable
("no zone matched", "payment method not understood"). Then the messages (the explanation, best
with what to answer: the options again) are sent, and nothing else the turn had planned after the
action (its later messages and actions) is; the conversation keeps waiting on the same message, as
before the reply, and the reply is not saved into the message's `save_reply_as` variable (changes
the hook itself made to `ctx.variables` are kept). A keyword reply never reaches the hook, so it
still switches subflow. `Rejected` returned where there is no reply (`ctx.reply is None`) only
sends its messages: there is nothing to wait on. The engine knows nothing of this: it decides as
if the reply were accepted and the service (flows.services.inbound) undoes the rest of the turn.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from conversations.processing import OutboundIntent


@dataclass
class ActionContext:
    conversation: object | None  # conversations.Conversation; None in the simulator
    flow_message_id: int
    reply: str | None = None
    variables: dict = field(default_factory=dict)


@dataclass
class Rejected:
    """A hook's answer "this reply is not usable, keep waiting for another": `messages` say why."""

    messages: list[OutboundIntent | str] = field(default_factory=list)

    def __post_init__(self):
        self.messages = list(self.messages)


ActionHook = Callable[[ActionContext], Iterable[OutboundIntent | str] | Rejected | None]
_hooks: dict[str, ActionHook] = {}


def register(name: str, hook: ActionHook | None = None):
    """Register `hook` under `name` (also usable as a decorator). Re-registering replaces it."""

    def decorator(fn: ActionHook) -> ActionHook:
        _hooks[name] = fn
        return fn

    return decorator(hook) if hook is not None else decorator


def unregister(name: str) -> None:
    _hooks.pop(name, None)


def get(name: str) -> ActionHook | None:
    return _hooks.get(name)


def registered_names() -> list[str]:
    return sorted(_hooks)
