"""How figures read on screen, in Brazilian notation whatever the page language (money is BRL)."""

from decimal import Decimal

from django.utils.translation import gettext as _

from catalog.selectors import format_price


def integer(value: float) -> str:
    return f"{round(value):,}".replace(",", ".")


def percent(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + "%"


def money(value: Decimal) -> str:
    return format_price(value)


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return _("%(n)s s") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)s min") % {"n": seconds // 60}
    return _("%(h)s h %(m)s min") % {"h": seconds // 3600, "m": seconds % 3600 // 60}


def short_money(value: float) -> str:
    """Axis labels: R$ 1,2 mil rather than R$ 1.200,00."""
    if value >= 1000:
        return "R$ " + f"{value / 1000:.1f}".replace(".", ",") + " " + _("thousand")
    return "R$ " + f"{value:.0f}"
