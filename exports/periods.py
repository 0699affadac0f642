"""Period presets of the import commands (`--periodo`), in the company's time zone."""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

PRESETS = ("hoje", "ontem", "7dias", "30dias", "mes")


def day_start(day: date, zone: zoneinfo.ZoneInfo, *, days_after: int = 0) -> datetime:
    """00:00 of `day` (+ `days_after`) in `zone`, as an aware datetime.

    ValueError when that instant is outside what datetime can hold in UTC (e.g. the day after
    9999-12-31, or 0001-01-01 east of Greenwich): the one check every period filter goes through.
    """
    try:
        start = datetime.combine(day + timedelta(days=days_after), time.min, zone)
        start.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{day.isoformat()} is out of the supported range") from exc
    return start


def day_range(start: date, end: date, tz_name: str) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the zone, as aware datetimes (ValueError: out of range)."""
    zone = zoneinfo.ZoneInfo(tz_name)
    return day_start(start, zone), day_start(end, zone, days_after=1)


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
