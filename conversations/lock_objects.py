"""Row locks of the conversations app (conventions in `tenants.lock_objects`)."""

from django.db.models import QuerySet

from conversations.models import Channel, Conversation, Message
from tenants.lock_objects import company_owned_qs_select_for_update
from tenants.models import Company


def channel_qs_select_for_update(
    *, company: Company | int | None = None, skip_locked: bool = False
) -> QuerySet[Channel]:
    return company_owned_qs_select_for_update(Channel, company=company, skip_locked=skip_locked)


def conversation_qs_select_for_update(
    *, company: Company | int | None = None, skip_locked: bool = False
) -> QuerySet[Conversation]:
    return company_owned_qs_select_for_update(Conversation, company=company, skip_locked=skip_locked)


def message_qs_select_for_update(
    *, company: Company | int | None = None, skip_locked: bool = False
) -> QuerySet[Message]:
    return company_owned_qs_select_for_update(Message, company=company, skip_locked=skip_locked)
