"""The dashboard's period: today, the last 7 or 30 days, or a custom range of days, in the company's time zone."""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from exports.periods import day_start

TODAY, LAST_7, LAST_30, CUSTOM = "today", "7d", "30d", "custom"
PRESET_DAYS = {TODAY: 1, LAST_7: 7, LAST_30: 30}
PERIOD_CHOICES = ((TODAY, _("Today")), (LAST_7, _("Last 7 days")), (LAST_30, _("Last 30 days")), (CUSTOM, _("Custom")))
DEFAULT_PERIOD = LAST_7
MAX_DAYS = 366  # the charts have one bar per day


class PeriodError(ValueError):
    """The asked period cannot be read (message is for the user, pt-BR); `field` names the query
    parameter at fault: period, since or until."""

    def __init__(self, message, field: str = "period"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Period:
    key: str
    first_day: date
    last_day: date
    start: datetime  # aware, first_day 00:00 in the company's zone
    end: datetime  # aware, the day after last_day 00:00 (exclusive)

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]


def period_parse(params, tz_name: str, today: date | None = None) -> Period:
    """The Period a query string asks for: ?period=today|7d|30d, or ?period=custom&since=&until=
    (YYYY-MM-DD, both days included); since/until alone mean custom; nothing means 7d."""
    today = today or datetime.now(zoneinfo.ZoneInfo(tz_name)).date()
    since, until = params.get("since") or "", params.get("until") or ""
    key = params.get("period") or (CUSTOM if since or until else DEFAULT_PERIOD)
    if key in PRESET_DAYS:
        first, last = today - timedelta(days=PRESET_DAYS[key] - 1), today
    elif key == CUSTOM:
        first, last = _day(since, today, "since"), _day(until, today, "until")
        if first > last:
            raise PeriodError(_("The first day is after the last day."), "since")
        if (last - first).days >= MAX_DAYS:
            raise PeriodError(_("Choose at most %(days)s days.") % {"days": MAX_DAYS}, "since")
    else:
        raise PeriodError(_("Unknown period: use today, 7d, 30d or custom."))
    zone = zoneinfo.ZoneInfo(tz_name)
    try:
        start = day_start(first, zone)
    except ValueError as exc:
        raise PeriodError(_("This date is out of the supported range."), "since") from exc
    try:
        end = day_start(last, zone, days_after=1)
    except ValueError as exc:
        raise PeriodError(_("This date is out of the supported range."), "until") from exc
    return Period(key=key, first_day=first, last_day=last, start=start, end=end)


def _day(raw: str, default: date, field: str) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise PeriodError(_("Dates are written YYYY-MM-DD."), field) from exc
