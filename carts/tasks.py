"""Celery entry points of carts (global sweeps; they open each company's scope themselves)."""

from celery import shared_task

from carts.sweeps import carts_sweep_abandoned


@shared_task(queue="maintenance")
def carts_sweep_abandoned_task() -> dict:
    return carts_sweep_abandoned()

