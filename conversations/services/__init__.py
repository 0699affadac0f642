"""Writes of the conversations app (channels, ingest, controls, outbound, files). Import from here."""

from conversations.services.channels import channel_health_check, channel_set_status, channels_due_for_check
from conversations.services.controls import (
    is_opt_out,
    is_simulator_contact,
    is_test_contact,
    outbound_block_reason,
)
from conversations.services.files import (
    messages_missing_their_file,
    received_file_download,
    received_file_download_fail,
)
from conversations.services.inbound import (
    conversation_ticket_apply,
    customer_for_contact,
    inbound_event_apply,
    inbound_event_ingest,
    inbound_event_process,
    inbound_event_receive,
    inbound_event_replay,
    inbound_events_unapplied,
    message_record_inbound,
)
from conversations.services.inbox import (
    ReplyRefused,
    ResumePoint,
    conversation_mark_read,
    conversation_release,
    conversation_reopen,
    conversation_reply,
    conversation_resolve,
    conversation_take_over,
    reply_refusal,
)
from conversations.services.outbound import (
    conversation_send_due,
    message_queue_outbound,
    message_resend,
    message_status_apply,
    outbound_sweep,
    reply_target,
)

__all__ = [
    "ReplyRefused",
    "ResumePoint",
    "channel_health_check",
    "channel_set_status",
    "channels_due_for_check",
    "conversation_mark_read",
    "conversation_release",
    "conversation_reopen",
    "conversation_reply",
    "conversation_resolve",
    "conversation_send_due",
    "conversation_take_over",
    "conversation_ticket_apply",
    "customer_for_contact",
    "inbound_event_apply",
    "inbound_event_ingest",
    "inbound_event_process",
    "inbound_event_receive",
    "inbound_event_replay",
    "inbound_events_unapplied",
    "is_opt_out",
    "is_simulator_contact",
    "is_test_contact",
    "message_queue_outbound",
    "message_resend",
    "message_record_inbound",
    "message_status_apply",
    "outbound_block_reason",
    "reply_refusal",
    "outbound_sweep",
    "messages_missing_their_file",
    "received_file_download",
    "received_file_download_fail",
    "reply_target",
]
