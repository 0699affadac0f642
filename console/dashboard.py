"""One dashboard read: period + figures + links + chart series. The page and the API both call it."""

from dataclasses import dataclass

from config.db import without_jit
from console.links import figure_links, messages_list, orders_list
from console.periods import Period
from console.selectors import dashboard_read_all
from exports.periods import day_range
from tenants.models import Company


@dataclass(frozen=True)
class Dashboard:
    period: Period
    figures: dict
    links: dict[str, str]
    charts: dict


def dashboard_read(company: Company, period: Period) -> Dashboard:
    start, end = period.start, period.end
    with without_jit():
        figures, charts = dashboard_read_all(company, start, end, period.days)
    day_links = [day_range(day, day, company.timezone) for day in period.days]
    for row, (day_start, day_end) in zip(charts["messages_per_day"], day_links, strict=True):
        row["messages_in_url"] = messages_list(day_start, day_end, direction__exact="in")
        row["messages_out_url"] = messages_list(day_start, day_end, direction__exact="out")
    for row, (day_start, day_end) in zip(charts["orders_per_day"], day_links, strict=True):
        row["url"] = orders_list(day_start, day_end)
    for row in charts["top_products"]:
        row["url"] = orders_list(start, end, product=row["name"])
    return Dashboard(period=period, figures=figures, links=figure_links(start, end), charts=charts)
