"""The app's URLs plus `POST /bench/insert/`: the floor the webhook is measured against, and
`POST /bench/webhook-inline/<key>/`: the webhook as it was before the thin request (the same door
checks, then parse and apply inside the request), for a before/after in one run, and
`POST /bench/task-insert/`: publish a Celery task that inserts the body as one row (`bench/tasks.py`),
the floor of `bench/pipeline.py --floor`.

The minimal view reads the body and inserts it as one row with one INSERT (table `bench_row`,
created by `bench/webhook_ingest.py`), through the same server, middleware and database.
"""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as app_urlpatterns
from conversations.api.webhooks import webhook_door
from conversations.services import inbound_event_ingest
from tenants.scoping import company_scope

BENCH_TABLE = "bench_row"


@csrf_exempt
@require_POST
def insert_one_row(request):
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BENCH_TABLE} (body) VALUES (%s)", [request.body.decode("utf-8", "replace")])
    return JsonResponse({"status": "ok"})


@csrf_exempt
@require_POST
def task_insert(request):
    from bench.tasks import insert_row_task  # noqa: PLC0415 - the task module imports this one

    insert_row_task.delay(request.body.decode("utf-8", "replace"))
    return JsonResponse({"status": "ok"})


@csrf_exempt
@require_POST
def webhook_inline(request, channel_key: str):
    door = webhook_door(request, channel_key)
    if isinstance(door, HttpResponse):
        return door
    channel, headers, body = door
    with company_scope(channel.company_id):
        return JsonResponse(inbound_event_ingest(channel=channel, headers=headers, body=body))


urlpatterns = [
    path("bench/insert/", insert_one_row, name="bench-insert"),
    path("bench/webhook-inline/<str:channel_key>/", webhook_inline, name="bench-webhook-inline"),
    path("bench/task-insert/", task_insert, name="bench-task-insert"),
    *app_urlpatterns,
]
