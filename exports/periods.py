"""Period presets of the import commands (`--periodo`), in the company's time zone."""

import zoneinfo
from datetime import date, datetime, time, timedelta

PRESETS = ("hoje", "ontem", "7dias", "30dias", "mes")


def day_range(start: date, end: date, tz_name: str) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the zone, as aware datetimes."""
    zone = zoneinfo.ZoneInfo(tz_name)
    return datetime.combine(start, time.min, zone), datetime.combine(end + timedelta(days=1), time.min, zone)


def preset_range(preset: str, tz_name: str, today: date | None = None) -> tuple[datetime, datetime]:
    today = today or datetime.now(zoneinfo.ZoneInfo(tz_name)).date()
    starts = {
        "hoje": today,
        "ontem": today - timedelta(days=1),
        "7dias": today - timedelta(days=6),
        "30dias": today - timedelta(days=29),
        "mes": today.replace(day=1),
    }
    if preset not in starts:
        raise ValueError(f"Unknown period '{preset}': use one of {', '.join(PRESETS)}.")
    end = today - timedelta(days=1) if preset == "ontem" else today
    return day_range(starts[preset], end, tz_name)


def in_period(queryset, field: str, start: datetime | None, end: datetime | None):
    """`queryset` narrowed to rows whose `field` is in [start, end) (an open side when None)."""
    if start:
        queryset = queryset.filter(**{f"{field}__gte": start})
    if end:
        queryset = queryset.filter(**{f"{field}__lt": end})
    return queryset
