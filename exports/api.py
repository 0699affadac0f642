"""What every people/commerce API list shares: the period filter and the export action.

Period: ``?since=YYYY-MM-DD&until=YYYY-MM-DD`` (inclusive days) or ``?periodo=hoje|ontem|7dias|30dias|mes``,
in the company's time zone; a bad value is a 400.
Export: ``GET <list>/export/?type=csv|xlsx|txt|whatsapp[&message=...]`` of the filtered list.
"""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from exports.periods import PRESETS, day_start, in_period, preset_range
from exports.writers import DEFAULT_MESSAGE, FORMATS, Column, attribute, company_message, export_response

PERIOD_PARAMETERS = [
    OpenApiParameter("since", str, description="YYYY-MM-DD, inclusive (the company's local day)"),
    OpenApiParameter("until", str, description="YYYY-MM-DD, inclusive (the company's local day)"),
    OpenApiParameter("periodo", str, enum=list(PRESETS), description="a preset instead of since/until"),
]
EXPORT_PARAMETERS = [
    OpenApiParameter("type", str, enum=list(FORMATS), description="default csv"),
    OpenApiParameter("message", str, description="WhatsApp text; {nome} is the person's first name"),
]


def _day_bound(raw: str, name: str, zone: ZoneInfo, *, days_after: int = 0) -> datetime:
    """00:00 of the YYYY-MM-DD day `raw` (+ `days_after`) in `zone`; 400 when it is not a date we can use."""
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError as exc:
        raise ValidationError({name: _("Use YYYY-MM-DD.")}) from exc
    try:
        return day_start(day, zone, days_after=days_after)
    except ValueError as exc:
        raise ValidationError({name: _("This date is out of the supported range.")}) from exc


def period_bounds(request) -> tuple[datetime | None, datetime | None]:
    """[start, end) of the request's period as aware datetimes (None for an open side)."""
    company = getattr(request, "company", None)
    tz_name = company.timezone if company is not None else settings.TIME_ZONE
    params = request.query_params
    preset, since, until = params.get("periodo"), params.get("since"), params.get("until")
    if preset:
        if since or until:
            raise ValidationError({"periodo": "Use either periodo or since/until."})
        if preset not in PRESETS:
            raise ValidationError({"periodo": f"Use one of {', '.join(PRESETS)}."})
        return preset_range(preset, tz_name)
    zone = ZoneInfo(tz_name)
    start = _day_bound(since, "since", zone) if since else None
    end = _day_bound(until, "until", zone, days_after=1) if until else None
    if start and end and start >= end:
        raise ValidationError({"until": "until is before since."})
    return start, end


def period_filter(request, queryset, field: str):
    """`queryset` narrowed to rows whose `field` is in the request's period."""
    return in_period(queryset, field, *period_bounds(request))


class ExportViewSetMixin:
    """Adds ``export/`` to a list viewset: the rows of the filtered list (same query params) as a file."""

    export_columns: Sequence[Column] = ()
    export_name = "export"
    export_phone_attr = "phone"
    export_name_attr = "name"
    export_message = DEFAULT_MESSAGE

    @extend_schema(parameters=[*PERIOD_PARAMETERS, *EXPORT_PARAMETERS], responses={200: bytes})
    @action(detail=False, methods=["get"])
    def export(self, request):
        return export_from_request(
            request,
            self.filter_queryset(self.get_queryset()),
            self.export_columns,
            name=self.export_name,
            phone_attr=self.export_phone_attr,
            name_attr=self.export_name_attr,
            default_message=self.export_message,
        )


def export_from_request(request, rows, columns: Sequence[Column], *, name, phone_attr, name_attr, default_message):
    """`rows` as the file ``?type=`` asks for (default csv; 400 when unknown), WhatsApp text from
    ``?message=``, else the company's setting, else `default_message`."""
    fmt = request.query_params.get("type", "csv")
    if fmt not in FORMATS:
        raise ValidationError({"type": f"Use one of {', '.join(FORMATS)}."})
    message = request.query_params.get("message")
    return export_response(
        rows,
        columns,
        fmt,
        name=name,
        phone=attribute(phone_attr),
        person_name=attribute(name_attr),
        message=message if message is not None else company_message(request.company, default_message),
    )
