"""Template helpers of the staff inbox: WhatsApp formatting, short times, who wrote a message, the badge."""

import re

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conversations.admin_inbox import INLINE_IMAGE_TYPES
from conversations.models import ConversationEvent, Message
from conversations.selectors import UNREAD_CAP, inbox_waiting_count
from conversations.services import ResumePoint
from customers.phones import mask_phone
from tenants.selectors import NO_ACCESS

register = template.Library()

# WhatsApp's markers around a run of text with no space just inside them and no word character just
# outside (so snake_case, 2*3*4 and e-mail addresses stay as written). Applied to escaped text.
_STYLES = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"), "s"),
)
_MONOSPACE = re.compile(r"```(.+?)```", re.DOTALL)


@register.filter
def whatsapp(text: str) -> str:
    """A message as WhatsApp shows it: *bold*, _italic_, ~strike~, ```monospace```, line breaks.
    The text is escaped first, so nothing the customer writes becomes markup."""
    html = escape(text or "")
    html = _MONOSPACE.sub(r"<code>\1</code>", html)
    for pattern, tag in _STYLES:
        html = pattern.sub(rf"<{tag}>\1</{tag}>", html)
    return mark_safe(html.replace("\n", "<br>"))  # noqa: S308 - built from escaped text only


@register.filter
def inbox_time(value) -> str:
    """Today: 14:32; this year: 03/12 14:32; before: 03/12/2025 (in the current time zone)."""
    if not value:
        return ""
    local = timezone.localtime(value)
    today = timezone.localtime(timezone.now()).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.year == today.year:
        return f"{local:%d/%m %H:%M}"
    return f"{local:%d/%m/%Y}"


@register.filter
def shown_inline(received) -> bool:
    """A stored image the browser may show as a thumbnail (see received_file_response)."""
    return received.content_type in INLINE_IMAGE_TYPES


@register.filter
def masked_phone(phone: str) -> str:
    return mask_phone(phone) if phone else ""


@register.filter
def unread_label(count: int) -> str:
    return f"{UNREAD_CAP}+" if count > UNREAD_CAP else str(count)


def staff_name(user) -> str:
    if user is None:
        return _("someone")
    return user.get_full_name() or user.get_username()


@register.filter
def from_our_side(message: Message) -> bool:
    """Bot, staff, or our own phone: shown on the right."""
    return message.direction == Message.Direction.OUTBOUND or message.reason == "from_me"


@register.filter
def author(message: Message) -> str:
    if message.direction == Message.Direction.OUTBOUND:
        if message.sent_by_id:
            return _("agent %(name)s") % {"name": staff_name(message.sent_by)}
        return _("bot")
    if message.reason == "from_me":
        return _("agent (on the phone)")
    return message.conversation.customer.name or _("customer")


_EVENT_TEXTS = {
    ConversationEvent.Kind.RELEASED: gettext_lazy("%(actor)s handed it back to the bot"),
    ConversationEvent.Kind.RESOLVED: gettext_lazy("%(actor)s resolved it"),
    ConversationEvent.Kind.REOPENED: gettext_lazy("Reopened: the customer wrote again"),
    ConversationEvent.Kind.PROVIDER_TAKEN: gettext_lazy("An agent took the ticket at the provider (agent %(detail)s)"),
    ConversationEvent.Kind.PROVIDER_RELEASED: gettext_lazy("The ticket went back to the queue at the provider"),
    ConversationEvent.Kind.PROVIDER_CLOSED: gettext_lazy("The ticket was closed at the provider"),
    ConversationEvent.Kind.SEND_FAILED: gettext_lazy(
        "A bot message could not be delivered (%(detail)s): the conversation waits for a person"
    ),
}


@register.filter
def event_text(event: ConversationEvent) -> str:
    actor = staff_name(event.actor)
    if event.kind == ConversationEvent.Kind.TAKEN:
        if event.previous_assignee_id:
            return _("%(actor)s took over from %(previous)s") % {
                "actor": actor,
                "previous": staff_name(event.previous_assignee),
            }
        return _("%(actor)s took over") % {"actor": actor}
    text = str(_EVENT_TEXTS.get(event.kind, event.get_kind_display()))
    text = text % {"actor": actor, "detail": event.detail} if "%(" in text else text
    if event.kind == ConversationEvent.Kind.RELEASED and event.detail in ResumePoint.values:
        text += f" ({ResumePoint(event.detail).label})"
    return text


@register.inclusion_tag("admin/conversations/inbox/badge.html", takes_context=True)
def inbox_badge(context):
    """The header's link to the inbox with the number of conversations waiting for a person."""
    request = context.get("request")
    company = getattr(request, "company", None)
    access = getattr(request, "company_access", NO_ACCESS)
    if company is None or not access.can_read:
        return {"show": False}
    return {"show": True, "inbox_waiting": inbox_waiting_count(company=company)}
