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
    dry_run: bool = False  # the dry-run simulator: answer as usual, but never call out (the caller rolls back)


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
_info: dict[str, "ActionInfo"] = {}


@dataclass(frozen=True)
class ActionInfo:
    """What the editor's action picker shows of a hook: its name, a description for shop owners
    (lazy gettext, pt-BR on screen) and the variables it sets (known to the checker)."""

    name: str
    description: object = ""
    sets: tuple[str, ...] = ()


def register(name: str, hook: ActionHook | None = None, *, description="", sets: Iterable[str] = ()):
    """Register `hook` under `name` (also usable as a decorator). Re-registering replaces it.
    `description` is what the action picker shows; `sets` names the variables it sets."""

    def decorator(fn: ActionHook) -> ActionHook:
        _hooks[name] = fn
        _info[name] = ActionInfo(name=name, description=description, sets=tuple(sets))
        return fn

    return decorator(hook) if hook is not None else decorator


def unregister(name: str) -> None:
    _hooks.pop(name, None)
    _info.pop(name, None)


def registered() -> list[ActionInfo]:
    """Every registered hook's picker entry, by name."""
    return [_info.get(name, ActionInfo(name=name)) for name in sorted(_hooks)]


# --- Built-in variables: what every message may use besides the ones the flow saves ---------------

VariableProvider = Callable[[object], object]  # (conversation) -> value
_builtins: dict[str, tuple[object, VariableProvider | None]] = {}


def variable_register(name: str, provider: VariableProvider | None = None, *, description="") -> None:
    """Make `{{ name }}` a built-in variable: `provider(conversation)` gives its value when a message
    uses it (a conversation variable of the same name wins)."""
    _builtins[name] = (description, provider)


def builtin_variables() -> dict[str, object]:
    """name -> description of the built-in variables, by name."""
    return {name: _builtins[name][0] for name in sorted(_builtins)}


class BuiltinValues(Mapping):
    """The built-in variables of one conversation, each computed on first use (a message that does
    not use `{{ carrinho }}` costs no cart query)."""

    def __init__(self, conversation):
        self._conversation = conversation
        self._cache: dict[str, object] = {}

    def __getitem__(self, name):
        if name not in _builtins:
            raise KeyError(name)
        if name not in self._cache:
            provider = _builtins[name][1]
            self._cache[name] = provider(self._conversation) if provider and self._conversation is not None else ""
        return self._cache[name]

    def __iter__(self):
        return iter(_builtins)

    def __len__(self):
        return len(_builtins)


def get(name: str) -> ActionHook | None:
    return _hooks.get(name)


def registered_names() -> list[str]:
    return sorted(_hooks)


# --- Conversion: which conversations ended in an order (the commerce app knows) -----------------

ConversionCounter = Callable[[dict], set]  # ({conversation id: (customer id, started at)}) -> ids that ordered
_conversion: list[ConversionCounter] = []


def conversion_register(counter: ConversionCounter) -> None:
    """Let the flow analytics ask which conversations led to an order (replaces the one before)."""
    _conversion[:] = [counter]


def conversations_that_ordered(conversations: dict) -> set:
    """The ids among `conversations` ({id: (customer id, started at)}) whose customer placed an
    order after the conversation started; empty without a registered counter."""
    return _conversion[0](conversations) if _conversion and conversations else set()
