import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from config.beat import PERIODIC_TASKS

PREFIX = "balcao:"


def schedule_for(entry: dict) -> dict:
    if "every_seconds" in entry:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=entry["every_seconds"], period=IntervalSchedule.SECONDS
        )
        return {"interval": interval, "crontab": None}
    fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
    fields.update(entry["crontab"])
    crontab, _ = CrontabSchedule.objects.get_or_create(timezone=settings.TIME_ZONE, **fields)
    return {"crontab": crontab, "interval": None}


class Command(BaseCommand):
    help = "Create or update the periodic tasks of config/beat.py in django-celery-beat. Idempotent."

    def handle(self, *args, **options):
        names = []
        for name, entry in PERIODIC_TASKS.items():
            full_name = PREFIX + name
            names.append(full_name)
            PeriodicTask.objects.update_or_create(
                name=full_name,
                defaults={
                    "task": entry["task"],
                    "queue": entry.get("queue", "default"),
                    "kwargs": json.dumps(entry.get("kwargs", {})),
                    **schedule_for(entry),
                },
            )
        removed, _ = PeriodicTask.objects.filter(name__startswith=PREFIX).exclude(name__in=names).delete()
        self.stdout.write(f"Periodic tasks in sync: {len(names)} ({removed} removed).")
