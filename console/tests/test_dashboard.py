"""The dashboard: the page, the API and the admin lists behind each figure agree; periods in the
company's time zone; nothing of another company; as many queries for 10 as for 10,000 orders."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from console import formats
from console.dashboard import dashboard_read
from console.periods import PeriodError, period_parse
from console.tests.sample import dashboard_sample_fill
from orders.models import Order, OrderItem
from tenants.scoping import company_scope
from tenants.tests.factories import CompanyFactory, MembershipFactory, UserFactory

COUNTS = (
    "conversations", "messages_in", "messages_out", "failed_outbound", "waiting_for_human", "orders",
    "pix_pending", "pix_paid", "bot_carts_abandoned", "bot_carts_recovered", "woo_carts_abandoned",
    "woo_carts_recovered", "leads", "leads_customers",
)  # fmt: skip
SUMS = {"revenue": "total", "pix_pending_amount": "amount", "pix_paid_amount": "amount"}


@pytest.fixture
def filled_a(company_a):
    with company_scope(company_a):
        dashboard_sample_fill(company_a, orders=60)
    return company_a


def _read(company, params):
    with company_scope(company):
        return dashboard_read(company, period_parse(params, company.timezone))


@pytest.mark.parametrize("period", ["today", "7d", "30d"])
def test_page_api_and_linked_lists_agree(filled_a, admin_client_a, api_client_a, period):
    board = _read(filled_a, {"period": period})

    page = admin_client_a.get(reverse("admin:index"), {"period": period})
    api = api_client_a.get("/api/dashboard/", {"period": period}).json()

    assert page.status_code == 200
    html = page.content.decode()
    for key in COUNTS:
        assert api["figures"][key] == board.figures[key], key
        assert f'data-figure="{key}"' in html
        listed = admin_client_a.get(api["links"][key])
        assert listed.status_code == 200, key
        assert listed.context["cl"].result_count == board.figures[key], key
    for key, field in SUMS.items():
        assert Decimal(api["figures"][key]) == board.figures[key], key
        listed = admin_client_a.get(api["links"][key]).context["cl"]
        assert sum((getattr(row, field) for row in listed.queryset), Decimal("0")) == board.figures[key], key
    assert board.figures["orders"] > 0 and board.figures["woo_carts_recovered"] > 0 and board.figures["leads"] > 0
    assert formats.money(board.figures["revenue"]) in html


def test_every_figure_has_a_link_and_a_card(filled_a, admin_client_a):
    board = _read(filled_a, {})
    html = admin_client_a.get(reverse("admin:index")).content.decode()

    shown = {key for key in board.figures if f'data-figure="{key}"' in html}

    assert set(board.links) >= set(board.figures)
    assert shown == set(board.figures) - {"pix_pending_amount", "pix_paid_amount"}  # shown inside the Pix cards


def test_top_products_and_days_link_to_their_orders(filled_a, admin_client_a):
    board = _read(filled_a, {"period": "30d"})
    top = board.charts["top_products"][0]
    day = next(row for row in board.charts["orders_per_day"] if row["orders"])

    product_orders = admin_client_a.get(top["url"]).context["cl"]
    day_orders = admin_client_a.get(day["url"]).context["cl"]

    with company_scope(filled_a):
        sold = OrderItem.objects.filter(order__in=product_orders.queryset, name=top["name"])
        assert sum(item.quantity for item in sold) == top["quantity"]
    assert day_orders.result_count == day["orders"]
    assert sum(order.total for order in day_orders.queryset) == day["revenue"]


def test_days_are_the_company_time_zone_days(company_a):
    company_a.timezone = "America/Sao_Paulo"
    company_a.save()
    zone = ZoneInfo("America/Sao_Paulo")
    today = timezone.now().astimezone(zone).date()
    late_yesterday = datetime.combine(today - timedelta(days=1), datetime.min.time(), zone) + timedelta(hours=23)
    with company_scope(company_a):
        Order.objects.create(company=company_a, total=Decimal("10.00"), placed_at=late_yesterday)  # 02:00 UTC today

    today_board = _read(company_a, {"period": "today"})
    week = _read(company_a, {"period": "7d"})

    assert today_board.figures["orders"] == 0
    by_day = {row["day"]: row["orders"] for row in week.charts["orders_per_day"]}
    assert by_day[today - timedelta(days=1)] == 1 and by_day[today] == 0


def test_custom_period_and_refused_periods(company_a):
    period = period_parse({"period": "custom", "since": "2025-03-01", "until": "2025-03-31"}, "America/Sao_Paulo")

    assert (period.first_day.isoformat(), period.last_day.isoformat(), len(period.days)) == (
        "2025-03-01",
        "2025-03-31",
        31,
    )
    assert period.start.isoformat() == "2025-03-01T00:00:00-03:00"
    for bad in ({"period": "ontem"}, {"since": "01/03/2025"}, {"since": "2025-03-31", "until": "2025-03-01"}):
        with pytest.raises(PeriodError):
            period_parse(bad, "America/Sao_Paulo")


def test_bad_period_is_a_400_in_the_api_and_a_message_on_the_page(company_a, admin_client_a, api_client_a):
    api = api_client_a.get("/api/dashboard/", {"period": "week"})
    page = admin_client_a.get(reverse("admin:index"), {"period": "custom", "since": "2025-13-01"}, follow=True)

    assert api.status_code == 400 and "period" in api.json()
    assert page.status_code == 200
    assert [str(m) for m in page.context["messages"]] == ["As datas são escritas AAAA-MM-DD."]


def test_nothing_of_another_company(filled_a, company_b, admin_client_a, api_client_a):
    with company_scope(company_b):
        dashboard_sample_fill(company_b, orders=30, marker="leakmarkerb ")
    alone = _read(filled_a, {"period": "30d"})

    page = admin_client_a.get(reverse("admin:index"), {"period": "30d"}).content.decode()
    api = api_client_a.get("/api/dashboard/", {"period": "30d"})

    assert "leakmarkerb" not in page.lower() and "leakmarkerb" not in api.content.decode().lower()
    assert api.json()["figures"]["orders"] == alone.figures["orders"]


def test_superuser_without_a_company_is_asked_to_choose_one(client, db):
    client.force_login(UserFactory(username="root", is_superuser=True))

    page = client.get(reverse("admin:index"))

    assert page.status_code == 200
    assert "Escolha uma empresa" in page.content.decode()


def test_the_model_list_moves_to_all_pages_and_view_site_leads_to_the_dashboard(admin_client_a):
    page = admin_client_a.get(reverse("admin:apps"))

    assert page.status_code == 200
    assert reverse("admin:orders_order_changelist") in page.content.decode()
    assert page.context["site_url"] == reverse("admin:index")


def _queries(client, url):
    client.get(url)  # warm-up: per-process caches
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.timeout(600)  # filling 10,000 orders with their rows takes a while on a busy machine
def test_queries_do_not_depend_on_the_amount_of_data(db, client):
    counts = {}
    for size in (10, 10_000):
        company = CompanyFactory(slug=f"size-{size}")
        user = MembershipFactory(company=company, user=UserFactory(username=f"m{size}"), role="manager").user
        with company_scope(company):
            dashboard_sample_fill(company, orders=size)
        client.force_login(user)
        counts[size] = [_queries(client, url) for url in ("/admin/?period=30d", "/api/dashboard/?period=30d")]

    assert counts[10] == counts[10_000]


def test_the_admin_has_a_favicon(admin_client_a, client):
    page = admin_client_a.get(reverse("admin:index")).content.decode()

    assert 'rel="icon"' in page and "balcao/favicon.svg" in page
    assert client.get("/favicon.ico").status_code == 301
