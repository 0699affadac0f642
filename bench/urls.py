"""The app's URLs plus `POST /bench/insert/`: the floor the webhook is measured against.

The minimal view reads the body and inserts it as one row with one INSERT (table `bench_row`,
created by `bench/webhook_ingest.py`), through the same server, middleware and database.
"""

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as app_urlpatterns

BENCH_TABLE = "bench_row"


@csrf_exempt
@require_POST
def insert_one_row(request):
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BENCH_TABLE} (body) VALUES (%s)", [request.body.decode("utf-8", "replace")])
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/insert/", insert_one_row, name="bench-insert"), *app_urlpatterns]
