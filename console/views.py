"""The dashboard page (the admin's index): cards that link to their lists, and SVG charts."""

from dataclasses import dataclass, replace

from django.contrib import messages
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console import charts, formats
from console.dashboard import Dashboard, dashboard_read
from console.periods import CUSTOM, DEFAULT_PERIOD, PERIOD_CHOICES, PeriodError, period_parse
from conversations.selectors import INGEST_LAG_WARN_SECONDS

COUNT, MONEY, PERCENT, SECONDS = formats.integer, formats.money, formats.percent, formats.duration

# (section title, [(figure key, label, how it reads, hint figure key or None)])
SECTIONS = (
    (
        gettext_lazy("Conversations"),
        (
            ("conversations", gettext_lazy("Conversations"), COUNT, None),
            ("messages_in", gettext_lazy("Messages received"), COUNT, None),
            ("messages_out", gettext_lazy("Messages sent"), COUNT, None),
            ("waiting_for_human", gettext_lazy("Waiting for a person"), COUNT, None),
        ),
    ),
    (
        gettext_lazy("Sales"),
        (
            ("orders", gettext_lazy("Orders"), COUNT, None),
            ("revenue", gettext_lazy("Revenue"), MONEY, None),
            ("average_ticket", gettext_lazy("Average ticket"), MONEY, None),
            ("pix_pending", gettext_lazy("Pix pending"), COUNT, "pix_pending_amount"),
            ("pix_paid", gettext_lazy("Pix paid"), COUNT, "pix_paid_amount"),
        ),
    ),
    (
        gettext_lazy("Cart recovery — WhatsApp bot"),
        (
            ("bot_carts_abandoned", gettext_lazy("Abandoned carts"), COUNT, None),
            ("bot_carts_recovered", gettext_lazy("Recovered carts"), COUNT, None),
            ("bot_recovery_rate", gettext_lazy("Recovery rate"), PERCENT, None),
            ("bot_recovered_revenue", gettext_lazy("Recovered revenue"), MONEY, None),
        ),
    ),
    (
        gettext_lazy("Cart recovery — WooCommerce"),
        (
            ("woo_carts_abandoned", gettext_lazy("Abandoned carts"), COUNT, None),
            ("woo_carts_recovered", gettext_lazy("Recovered carts"), COUNT, None),
            ("woo_recovery_rate", gettext_lazy("Recovery rate"), PERCENT, None),
            ("woo_recovered_revenue", gettext_lazy("Recovered revenue"), MONEY, None),
        ),
    ),
    (
        gettext_lazy("Leads and operation"),
        (
            ("leads", gettext_lazy("Leads"), COUNT, None),
            ("leads_customers", gettext_lazy("Leads already customers"), COUNT, None),
            ("ingest_lag_seconds", gettext_lazy("Ingest lag"), SECONDS, None),
            ("failed_outbound", gettext_lazy("Messages that failed"), COUNT, None),
        ),
    ),
)
MONEY_HINTS = {"pix_pending_amount", "pix_paid_amount"}


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    text: str
    url: str
    hint: str = ""
    alert: bool = False


def _alert(key: str, value) -> bool:
    if key in ("waiting_for_human", "failed_outbound"):
        return value > 0
    return key == "ingest_lag_seconds" and value >= INGEST_LAG_WARN_SECONDS


def cards(board: Dashboard) -> list[tuple[str, list[Card]]]:
    figures, links = board.figures, board.links
    return [
        (
            title,
            [
                Card(
                    key=key,
                    label=str(label),
                    text=show(figures[key]),
                    url=links[key],
                    hint=formats.money(figures[hint]) if hint else "",
                    alert=_alert(key, figures[key]),
                )
                for key, label, show, hint in entries
            ],
        )
        for title, entries in SECTIONS
    ]


def chart_figures(board: Dashboard) -> list[tuple[str, object]]:
    days = board.charts["messages_per_day"]
    labels = [row["day"].strftime("%d/%m") for row in days]
    messages_chart = charts.day_chart(
        labels,
        [
            charts.Series(
                _("Messages received"),
                [r["messages_in"] for r in days],
                "series-a",
                COUNT,
                [r["messages_in_url"] for r in days],
            ),
            charts.Series(
                _("Messages sent"),
                [r["messages_out"] for r in days],
                "series-b",
                COUNT,
                [r["messages_out_url"] for r in days],
            ),
        ],
        caption=_("Messages per day"),
    )
    orders = board.charts["orders_per_day"]
    orders_chart = charts.day_chart(
        labels,
        [
            charts.Series(
                _("Revenue"),
                [float(r["revenue"]) for r in orders],
                "series-a",
                formats.short_money,
                [r["url"] for r in orders],
            )
        ],
        charts.Series(_("Orders"), [r["orders"] for r in orders], "series-line", COUNT, [r["url"] for r in orders]),
        caption=_("Orders and revenue per day"),
    )
    return [
        (_("Messages per day"), messages_chart),
        (_("Orders and revenue per day"), orders_chart),
        (_("Recovery funnel"), _funnel(board)),
        (_("Top products"), _top_products(board)),
    ]


def _funnel(board: Dashboard):
    f, links = board.figures, board.links
    bot, woo = _("WhatsApp bot"), _("WooCommerce")
    stages = (
        (_("Abandoned carts"), "bot_carts_abandoned", "woo_carts_abandoned"),
        (_("Recovered carts"), "bot_carts_recovered", "woo_carts_recovered"),
    )
    rows = [
        charts.Row(
            label=str(label),
            segments=(
                (f[bot_key], "series-a", f"{bot}: {COUNT(f[bot_key])}", links[bot_key]),
                (f[woo_key], "series-b", f"{woo}: {COUNT(f[woo_key])}", links[woo_key]),
            ),
            total_text=COUNT(f[bot_key] + f[woo_key]),
        )
        for label, bot_key, woo_key in stages
    ]
    legend = [charts.Series(bot, [], "series-a"), charts.Series(woo, [], "series-b")]
    return charts.bar_rows(rows, caption=_("Recovery funnel"), legend=legend)


def _top_products(board: Dashboard):
    products = board.charts["top_products"]
    if not products:
        return None
    rows = [
        charts.Row(
            label=p["name"],
            segments=(
                (p["quantity"], "series-a", f"{p['name']}: {COUNT(p['quantity'])} · {MONEY(p['revenue'])}", p["url"]),
            ),
            total_text=f"{COUNT(p['quantity'])} · {MONEY(p['revenue'])}",
        )
        for p in products
    ]
    return charts.bar_rows(rows, caption=_("Top products"))


def _links_the_user_may_open(site, request, links: dict[str, str]) -> dict[str, str]:
    """A figure keeps its link only when the user's role may open the list behind it (a viewer sees the
    ingest lag but may not open raw events)."""
    admins = {
        f"{model._meta.app_label}_{model._meta.model_name}_changelist": model_admin
        for model, model_admin in site._registry.items()
    }

    def allowed(url: str) -> bool:
        try:
            match = resolve(url.split("?", 1)[0])
        except Resolver404:
            return False
        model_admin = admins.get(match.url_name)
        return model_admin is not None and model_admin.has_view_permission(request)

    return {key: (url if url and allowed(url) else "") for key, url in links.items()}


def dashboard_view(site, request):
    company = getattr(request, "company", None)
    context = {**site.each_context(request), "title": _("Dashboard"), "company": company}
    if company is None:
        return TemplateResponse(request, "console/choose_company.html", context)
    try:
        period = period_parse(request.GET, company.timezone)
    except PeriodError as exc:
        messages.error(request, str(exc))
        period = period_parse({"period": DEFAULT_PERIOD}, company.timezone)
    board = dashboard_read(company, period)
    board = replace(board, links=_links_the_user_may_open(site, request, board.links))
    context.update(
        period=period,
        period_choices=[(key, label) for key, label in PERIOD_CHOICES if key != CUSTOM],
        custom=CUSTOM,
        sections=cards(board),
        charts=chart_figures(board),
    )
    return TemplateResponse(request, "console/dashboard.html", context)
