"""The customer panel beside a conversation in the staff inbox: sections other apps contribute.

Conversations knows no carts, orders or leads (they stand above it), so each of those apps registers
a section function from its AppConfig.ready(): `panel_section_register(section)`, where
`section(conversation) -> PanelSection | None` reads a constant number of rows (the page's query
count must not grow with the customer's history). Sections show in registration order after the
customer's own.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from conversations.models import Conversation

OTHER_CONVERSATIONS = 5


@dataclass(frozen=True)
class PanelRow:
    label: str
    value: str = ""
    url: str = ""  # a staff page about it (admin), when there is one


@dataclass(frozen=True)
class PanelSection:
    title: str
    rows: list[PanelRow] = field(default_factory=list)
    empty: str = ""  # shown when there are no rows


PanelSectionFn = Callable[[Conversation], PanelSection | None]
_sections: list[PanelSectionFn] = []


def panel_section_register(section: PanelSectionFn) -> PanelSectionFn:
    """Add a section to the panel (registering twice is a no-op)."""
    if section not in _sections:
        _sections.append(section)
    return section


def panel_section_unregister(section: PanelSectionFn) -> None:
    if section in _sections:
        _sections.remove(section)


def customer_panel(conversation: Conversation) -> list[PanelSection]:
    """Every section for the conversation's customer: theirs first, then the registered ones."""
    sections = [_customer_section(conversation), _other_conversations(conversation)]
    sections += [section(conversation) for section in _sections]
    return [section for section in sections if section is not None]


def _customer_section(conversation: Conversation) -> PanelSection:
    customer = conversation.customer
    opted_out = customer.opted_out_at
    rows = [
        PanelRow(_("Name"), customer.name or "—"),
        PanelRow(_("Phone"), customer.phone or "—"),
        PanelRow(_("E-mail"), customer.email or "—"),
        PanelRow(
            _("Messages"),
            _("asked not to receive messages (%(date)s)") % {"date": f"{opted_out:%d/%m/%Y}"}
            if opted_out
            else _("receives messages"),
        ),
    ]
    return PanelSection(_("Customer"), rows)


def _other_conversations(conversation: Conversation) -> PanelSection:
    others = (
        Conversation.objects.for_company(conversation.company_id)
        .filter(customer_id=conversation.customer_id)
        .exclude(pk=conversation.pk)
        .select_related("channel")
        .order_by("-updated_at")[:OTHER_CONVERSATIONS]
    )
    rows = [
        PanelRow(
            other.channel.name,
            other.get_status_display(),
            reverse("admin:conversations_conversation_chat", args=[other.pk]),
        )
        for other in others
    ]
    return PanelSection(_("Other conversations"), rows, empty=_("None."))
