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
    conversation_handoff_apply,
    customer_for_contact,
    inbound_event_apply,
    inbound_event_ingest,
    inbound_event_replay,
    message_record_inbound,
)
from conversations.services.outbound import (
    conversation_send_due,
    message_fail,
    message_queue_outbound,
    message_status_apply,
    outbound_sweep,
    reply_target,
)

__all__ = [
    "channel_health_check",
    "channel_set_status",
    "channels_due_for_check",
    "conversation_handoff_apply",
    "conversation_send_due",
    "customer_for_contact",
    "inbound_event_apply",
    "inbound_event_ingest",
    "inbound_event_replay",
    "is_opt_out",
    "is_simulator_contact",
    "is_test_contact",
    "message_fail",
    "message_queue_outbound",
    "message_record_inbound",
    "message_status_apply",
    "outbound_block_reason",
    "outbound_sweep",
    "messages_missing_their_file",
    "received_file_download",
    "received_file_download_fail",
    "reply_target",
]
