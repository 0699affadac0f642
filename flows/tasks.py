"""Celery entry points of the flows app."""

from celery import shared_task
from django.utils import timezone

from flows.services import flow_positions_reset_stale


@shared_task(queue="maintenance")
def flow_positions_reset_stale_task() -> int:
    """Periodic sweep (config/beat.py): idle conversations go back to the start."""
    return flow_positions_reset_stale(now=timezone.now())
