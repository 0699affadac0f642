"""Idle conversations go back to the start (SPEC §5, STATE_STALE_RESET_MIN)."""

from datetime import datetime, timedelta

from django.db import transaction

from conversations.models import Conversation
from flows.lock_objects import flow_position_qs_select_for_update
from flows.models import FlowPosition
from tenants.models import Company
from tenants.sweeps import sweep_companies

WAITING = (FlowPosition.Waiting.RESPONSE, FlowPosition.Waiting.FILE)
SWEEP_BATCH = 500  # conversations per company per run; the rest is reset at the next run (beat: every 5 minutes)


def flow_positions_reset_stale(*, now: datetime, batch: int = SWEEP_BATCH) -> int:
    """Reset the conversations idle longer than their company's `state_stale_reset_min`.

    Their next message starts the live flow from the beginning (variables are kept). Conversations
    with the bot paused (a human took over) are left alone, and so is a position that is locked
    because its conversation is being answered right now. A sweep as `tenants.sweeps` describes.
    Returns how many were reset.
    """
    return sum(_reset_stale(company, now, batch) for company in sweep_companies())


def _reset_stale(company: Company, now: datetime, batch: int) -> int:
    cutoff = now - timedelta(minutes=company.state_stale_reset_min)
    with transaction.atomic():
        conversation_ids = list(
            flow_position_qs_select_for_update(skip_locked=True)
            .filter(waiting_for__in=WAITING, last_activity_at__lt=cutoff, conversation__bot_paused=False)
            .values_list("conversation_id", flat=True)[:batch]
        )
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
