"""The pure flow engine: decisions without a database (STYLE §2.1)."""

from flows.engine.core import (
    WAIT_FILE,
    WAIT_NOTHING,
    WAIT_RESPONSE,
    Complete,
    Decision,
    Document,
    Inbound,
    MovePosition,
    Position,
    Reset,
    RunAction,
    SaveVariable,
    SendMessage,
    decide,
)
from flows.engine.snapshot import FlowSnapshot, MessageStep, SubflowSnapshot, TemplateSnapshot, build_snapshot
from flows.engine.text import file_type_accepted, keyword_matches, render

__all__ = [
    "WAIT_FILE",
    "WAIT_NOTHING",
    "WAIT_RESPONSE",
    "Complete",
    "Decision",
    "Document",
    "FlowSnapshot",
    "Inbound",
    "MessageStep",
    "MovePosition",
    "Position",
    "Reset",
    "RunAction",
    "SaveVariable",
    "SendMessage",
    "SubflowSnapshot",
    "TemplateSnapshot",
    "build_snapshot",
    "decide",
    "file_type_accepted",
    "keyword_matches",
    "render",
]
