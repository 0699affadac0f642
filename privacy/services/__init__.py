"""Writes of the privacy desk (export, erasure, requests, retention deletions). Import from here."""

from privacy.services.erase import ANONYMISED, DELETED, erasure_reason_check, person_erase, person_erase_plan
from privacy.services.export import PersonExport, person_data_export
from privacy.services.requests import (
    EXPORT_KEPT_DAYS,
    PROGRESS_NAMESPACE,
    privacy_request_create,
    privacy_request_enqueue,
    privacy_request_execute,
    privacy_request_start,
)

__all__ = [
    "ANONYMISED",
    "DELETED",
    "EXPORT_KEPT_DAYS",
    "PROGRESS_NAMESPACE",
    "PersonExport",
    "erasure_reason_check",
    "person_data_export",
    "person_erase",
    "person_erase_plan",
    "privacy_request_create",
    "privacy_request_enqueue",
    "privacy_request_execute",
    "privacy_request_start",
]
