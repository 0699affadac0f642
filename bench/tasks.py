"""The pipeline bench's floor (`bench/pipeline.py --floor`): a bare Celery task doing one INSERT."""

from celery import shared_task
from django.db import connection

from bench.urls import BENCH_TABLE


@shared_task(queue="webhooks")
def insert_row_task(body: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BENCH_TABLE} (body) VALUES (%s)", [body])  # noqa: S608 - our table
