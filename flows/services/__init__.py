"""Writes of the flows app (STYLE §2.1). Callers run inside a company scope unless stated."""

from flows.services.inbound import flow_handle_inbound
from flows.services.publish import flow_template_publish
from flows.services.simulate import flow_simulate
from flows.services.stale import flow_positions_reset_stale
from flows.services.transfer import flow_template_export, flow_template_import

__all__ = [
    "flow_handle_inbound",
    "flow_positions_reset_stale",
    "flow_simulate",
    "flow_template_export",
    "flow_template_import",
    "flow_template_publish",
]
