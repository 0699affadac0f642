"""Celery entry points of carts: sweeps that visit the companies one scope at a time (tenants.sweeps)."""

from celery import shared_task

from carts.sweeps import carts_sweep_abandoned


@shared_task(queue="maintenance")
def carts_sweep_abandoned_task() -> dict:
    return carts_sweep_abandoned()

