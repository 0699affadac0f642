"""Idle conversations go back to the start (SPEC §5, STATE_STALE_RESET_MIN)."""

from datetime import datetime, timedelta

from django.db import transaction

from conversations.models import Conversation
from flows.models import FlowPosition
from tenants.models import Company
from tenants.scoping import company_scope

WAITING = (FlowPosition.Waiting.RESPONSE, FlowPosition.Waiting.FILE)


def flow_positions_reset_company(*, company: Company, now: datetime) -> int:
    """Reset the company's conversations idle longer than `company.state_stale_reset_min`.

    Their next message starts the live flow from the beginning (variables are kept). Conversations
    with the bot paused (a human took over) are left alone. Returns how many were reset.
    """
    cutoff = now - timedelta(minutes=company.state_stale_reset_min)
    with company_scope(company), transaction.atomic():
        stale = FlowPosition.objects.filter(
            waiting_for__in=WAITING, last_activity_at__lt=cutoff, conversation__bot_paused=False
        )
        conversation_ids = list(stale.values_list("conversation_id", flat=True))
        if not conversation_ids:
            return 0
        FlowPosition.objects.filter(conversation_id__in=conversation_ids).update(
            waiting_for=FlowPosition.Waiting.NOTHING,
            current_template_id=None,
            current_version=None,
            current_flow_id=None,
            current_subflow_id=None,
            current_message_id=None,
            current_message_order=None,
        )
        Conversation.objects.filter(pk__in=conversation_ids, status=Conversation.Status.WAITING).update(
            status=Conversation.Status.ACTIVE
        )
    return len(conversation_ids)


def flow_positions_reset_stale(*, now: datetime) -> int:
    """The global sweep: every active company in its own scope. Returns the total reset."""
    return sum(
        flow_positions_reset_company(company=company, now=now) for company in Company.objects.filter(active=True)
    )
