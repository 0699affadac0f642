"""Celery entry points of orders: sweeps that visit the companies one scope at a time (tenants.sweeps)."""

from celery import shared_task

from orders.erp_tasks import order_erp_push_task  # noqa: F401 - registers the ERP push task
from orders.payment_tasks import pix_charge_task  # noqa: F401 - registers the Pix charge task
from orders.sweeps import orders_request_ratings


@shared_task(queue="maintenance")
def orders_request_ratings_task() -> int:
    return orders_request_ratings()
