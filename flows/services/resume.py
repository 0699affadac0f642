"""Where the flow picks up when staff hand a conversation back to the bot (the inbox's resume points).

- restart, or no point (the conversation was resolved): the position is forgotten, so the customer's
  next message starts the live flow from the top; nothing is sent now;
- menu: the bot answers as if the customer had written "menu": the subflow that keyword opens, or
  the start of the default flow when no subflow answers to it; its messages go out now.
"""

from django.db import transaction
from django.utils import timezone

from conversations.handlers import BotResumption, OutboundIntent
from conversations.models import Conversation
from conversations.services import ResumePoint
from flows.engine import WAIT_FILE, WAIT_RESPONSE, Inbound, Position, decide
from flows.lock_objects import flow_position_qs_select_for_update
from flows.models import FlowPosition
from flows.services.inbound import _carry_out, _store_position, _variables, starting_snapshot, without_company_variables

MENU_KEYWORD = "menu"


def flow_resume(*, conversation: Conversation, point: str | None) -> BotResumption:
    """Move the conversation's FlowPosition to `point` and return what the bot says now. Runs in the
    caller's transaction with the conversation locked; writes only the FlowPosition."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            flow_position_qs_select_for_update(company=conversation.company_id)
            .filter(conversation=conversation)
            .first()
        )
        if row is None:
            row = FlowPosition(company_id=conversation.company_id, conversation=conversation)
        if point != ResumePoint.MENU:
            _store_position(row, None, None, Position(last_activity_at=now))
            return BotResumption()
        template_id, version, snapshot = starting_snapshot(conversation)
        decision = decide(
            snapshot=snapshot,
            position=Position(),
            variables=_variables(conversation),
            inbound=Inbound(text=MENU_KEYWORD),
            now=now,
        )
        turn = _carry_out(decision, conversation)
        _store_position(row, template_id, version, decision.position)
    return BotResumption(
        intents=tuple(OutboundIntent(text=i.text, delay_seconds=i.delay_seconds) for i in turn.intents),
        waiting=decision.position.waiting_for in (WAIT_RESPONSE, WAIT_FILE),
        variables=without_company_variables(turn.variables),
    )
