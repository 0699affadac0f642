"""Action hooks: named functions other apps (commerce) attach to flow messages.

    from flows import actions

    @actions.register("show_catalog")
    def show_catalog(ctx: actions.ActionContext):
        return ["1. Margherita R$ 40", "2. Calabresa R$ 42"]

When it runs: a message that waits for a reply runs its action with that reply (`ctx.reply`);
a message that waits for nothing runs it right after being sent (`ctx.reply is None`).

A hook returns effects, and the flow service (flows.services.inbound) applies them in the same
transaction as the conversation's position: a hook never writes the conversation itself, so the
service cannot save a stale copy over what the hook did. It returns None or a list of:

- a reply: a string or an `OutboundIntent` (its delay relative to the hook's turn position);
- `SetVariable(name, value)`: a conversation variable (later messages of the same turn were
  already rendered); `ctx.variables` is a read-only view of the variables so far;
- `HandOff()`: hand the conversation to a human (bot paused, status "handoff");
- `SkipQuestion()`: the next question does not apply (see the class).

A hook can refuse the reply: it returns `Rejected(effects)` when the reply is not usable ("no zone
matched", "payment method not understood"). Then its effects (the explanation, best with what to
answer: the options again) are applied, and nothing else the turn had planned after the action
(its later messages and actions) is; the conversation keeps waiting on the same message, as before
the reply, and the reply is not saved into the message's `save_reply_as` variable (a hook's own
`SetVariable` is kept). A keyword reply never reaches the hook, so it still switches subflow.
`Rejected` returned where there is no reply (`ctx.reply is None`) only applies its effects: there
is nothing to wait on. The engine knows nothing of this: it decides as if the reply were accepted
and the service undoes the rest of the turn.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from conversations.handlers import OutboundIntent


@dataclass
class ActionContext:
    conversation: object | None  # conversations.Conversation (read it, do not write it); None in the simulator
    flow_message_id: int
    reply: str | None = None
    variables: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class SetVariable:
    """Effect: set the conversation variable `name` to `value`."""

    name: str
    value: object


@dataclass(frozen=True)
class HandOff:
    """Effect: a human takes the conversation over; the bot stays silent until staff give it back."""


@dataclass(frozen=True)
class SkipQuestion:
    """Effect of a hook on a message that waits for nothing: the question that follows does not
    apply (no delivery zones to choose from). The hook's own message and what the turn planned up
    to that question are not sent, and the flow goes on as if the customer had answered it with
    nothing (its action runs with an empty reply). Ignored from a hook that got a reply."""


Effect = OutboundIntent | str | SetVariable | HandOff | SkipQuestion


@dataclass
class Rejected:
    """A hook's answer "this reply is not usable, keep waiting for another": `messages` say why."""

    messages: list[Effect] = field(default_factory=list)

    def __post_init__(self):
        self.messages = list(self.messages)


ActionHook = Callable[[ActionContext], Iterable[Effect] | Rejected | None]
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
