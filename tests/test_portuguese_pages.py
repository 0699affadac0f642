"""Every admin page, and every export file, in pt-BR: no English string the project wrote.

The walk opens, as the company's owner and in pt-BR, the dashboard, the list of pages, and for every
registered model its list, add page, a row's page and history, and the model admin's own pages (board,
settings forms, progress...); then every export action of every list (CSV, Excel, TXT, WhatsApp).

What counts as English the project wrote:
- a label of the project's models (model and field names, help texts, choices) that has no pt-BR
  translation — checked on every model, shown or not;
- any string of the project's catalogue (locale/pt_BR) found in its English form in a page or a file
  (a string translated at import time, or shown with `translation.override("en")` by mistake);
- a set of English words that are not Portuguese ("the", "with", "Add"...), which also catches text
  written without gettext at all.
Django's own strings come translated by Django's pt_BR catalogue; the few identical in both languages
(Pix, WhatsApp, E-mail...) are words of both languages, not exceptions for the project.
"""

import csv
import gettext
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from orders.models import Order
from orders.tests.factories import OrderFactory
from tenants.models import Company, CompanyOwned
from tenants.settings_registry import setting_groups
from tenants.tests.factories import MembershipFactory, UserFactory
from tests.builders import ObjectBuilder

MO_FILE = Path(__file__).resolve().parent.parent / "locale" / "pt_BR" / "LC_MESSAGES" / "django.mo"
PROJECT_APPS = {"carts", "catalog", "console", "conversations", "customers", "flows", "leads", "orders", "privacy", "tenants"}  # fmt: skip

# English words that are not Portuguese words: any of them, as a whole word, in a pt-BR page is English.
ENGLISH_WORDS = {
    "the", "and", "with", "from", "this", "that", "these", "those", "is", "are", "was", "were", "has",
    "have", "been", "will", "your", "you", "which", "when", "where", "there", "their", "should", "could",
    "would", "please", "click", "save", "delete", "add", "change", "view", "search", "filter", "name",
    "date", "yes", "none", "all", "any", "new", "paid", "pending", "failed", "sent", "received",
    "customer", "customers", "channel", "channels", "order", "orders", "cart", "carts", "message",
    "messages", "conversation", "conversations", "company", "settings", "setting", "status", "created",
    "updated", "phone", "address", "total", "items", "item", "amount", "price", "product", "products",
    "lead", "leads", "import", "imports", "export", "run", "runs", "flow", "flows", "template", "templates",
    "draft", "published", "active", "inactive", "enabled", "disabled", "type", "value", "key", "description",
    "notes", "note", "reason", "error", "errors", "queued", "running", "done", "completed", "cancelled",
    "abandoned", "recovered", "delivery", "payment", "payments", "provider", "connected", "disconnected",
    "connecting", "inbound", "outbound", "user", "users", "role", "owner", "manager", "agent", "viewer",
    "token", "tokens", "request", "requests", "file", "files", "size", "quantity", "category", "categories",
    "zone", "zones", "fee", "stock", "available", "unavailable", "first", "last", "next", "previous",
    "today", "days", "week", "month", "revenue", "ticket", "rate", "waiting", "human", "bot", "yes/no",
    "text", "number", "secret", "updated_at", "created_at", "source", "kind", "started", "finished",
    "hello", "registration", "help", "finish", "we", "left",
}  # fmt: skip
# Words written the same in both languages (or names) that a catalogue entry may hold alone.
SAME_IN_BOTH = {"status", "total", "pix", "whatsapp", "e-mail", "email", "sku", "url", "id", "erp", "tiny", "pontta",
                "token", "webhook", "qr", "csv", "txt", "excel", "api", "llm", "ssh", "woocommerce", "wordpress",
                "form vibes", "cartflows", "mercado pago", "google sheets", "uazapi", "gosac", "meta", "evolution",
                "json", "host", "lead", "leads", "bot", "ok", "ticket", "chat", "online", "link", "slug", "cep",
                "delivery", "checkout", "backup", "logo", "menu", "hash", "log", "timeout", "tokens", "item",
                "subtotal", "sha-256", "evolution api", "meta whatsapp cloud api", "leads (form vibes)",
                "mercadopago", "balcão", "zip", "wa.me", "xlsx", "download"}  # fmt: skip
ENGLISH_WORDS -= SAME_IN_BOTH
WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ_/'-]*")
DATA = re.compile(r"\balfa-[\w-]*")  # the walk's own row values (the builder writes "alfa-<field>")
REFERENCE = re.compile(r"\b[a-z_]+:\d+\b")  # a reference the code writes, e.g. order:42
BRANDS = sorted((w for w in SAME_IN_BOTH if " " in w or "." in w), key=len, reverse=True)


class _Text(HTMLParser):
    """The words a person reads: text outside scripts and styles, plus titles, placeholders, labels
    and button values."""

    SKIP = {"script", "style", "code", "pre", "textarea", "svg:defs"}
    ATTRS = ("title", "placeholder", "aria-label")  # not alt: Django's own search icon says alt="Search"

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        attrs = dict(attrs)
        self.parts += [attrs[a] for a in self.ATTRS if attrs.get(a)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(data.strip())


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def project_catalogue() -> list[str]:
    """English msgids of the project's catalogue whose pt-BR text differs, longest first."""
    with MO_FILE.open("rb") as compiled:
        entries = gettext.GNUTranslations(compiled)._catalog
    english = set()
    for msgid, msgstr in entries.items():
        msgid = msgid[0] if isinstance(msgid, tuple) else msgid
        msgid = msgid.split("\x04")[-1]  # context
        if msgid and msgstr.strip().lower() != msgid.strip().lower():
            english.add(msgid)
    english = {m for m in english if len(m) >= 4 and not re.fullmatch(r"[\W\d_%()sdr]+", m) and "%(" not in m}
    return sorted(english, key=len, reverse=True)


def english_found(text: str, catalogue: list[str], data: set[str]) -> list[str]:
    """The English strings in `text`: catalogue phrases (whole words), then single English words.
    `data` are the walk's own row values (e.g. a builder's marker text), which are not the project's."""
    found = []
    text = DATA.sub(" ", text)
    lowered = REFERENCE.sub(" ", text.lower())
    for brand in BRANDS:
        lowered = lowered.replace(brand, " " * len(brand))
    for msgid in catalogue:
        needle = msgid.lower()
        if " " not in needle and needle in SAME_IN_BOTH:
            continue
        match = re.search(rf"(?<![\wÀ-ÿ/]){re.escape(needle)}(?![\wÀ-ÿ/])", lowered)
        if match:
            start = lowered.rfind("\n", 0, match.start()) + 1
            end = lowered.find("\n", match.end())
            found.append(f"{msgid!r} in {text[start : end if end >= 0 else None][:120]!r}")
    for line in text.splitlines():
        if line.lower() in data:
            continue
        plain = REFERENCE.sub(" ", line.lower())
        for brand in BRANDS:
            plain = plain.replace(brand, " ")
        for word in WORD.findall(plain):
            if word.lower() in ENGLISH_WORDS:
                found.append(f"{word!r} in {line[:120]!r}")
    return found


def project_models():
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def _translated(text) -> bool:
    """Its pt-BR text differs, or it is made only of words written the same in both languages."""
    with translation.override("en"):
        english = str(text)
    with translation.override("pt-br"):
        portuguese = str(text)
    if english != portuguese or english.strip().lower() in SAME_IN_BOTH:
        return True
    return all(word.lower() in SAME_IN_BOTH for word in WORD.findall(english))


def test_every_label_of_the_projects_models_has_a_portuguese_text():
    untranslated = []
    for model in project_models():
        meta = model._meta
        for what, text in (("verbose_name", meta.verbose_name), ("verbose_name_plural", meta.verbose_name_plural)):
            if not _translated(text):
                untranslated.append(f"{meta.label} {what}: {text!r}")
        for field in meta.get_fields():
            if not hasattr(field, "verbose_name") or field.auto_created:
                continue
            if not _translated(field.verbose_name):
                untranslated.append(f"{meta.label}.{field.name}: {field.verbose_name!r}")
            if field.help_text and not _translated(field.help_text):
                untranslated.append(f"{meta.label}.{field.name} help: {field.help_text!r}")
            for _value, label in field.flatchoices or ():
                if not _translated(label):
                    untranslated.append(f"{meta.label}.{field.name} choice: {label!r}")

    assert not untranslated, "\n".join(untranslated)


@pytest.fixture
def walk(db):
    company = Company.objects.create(name="Pizzaria Alfa", slug="alfa", timezone="America/Sao_Paulo")
    user = MembershipFactory(company=company, user=UserFactory(username="dona-alfa"), role="owner").user
    builder = ObjectBuilder(marker_for=lambda c: "alfa")
    for model in apps.get_models():
        if issubclass(model, CompanyOwned):
            builder.get(model, company)
    return company, user, builder


def admin_pages(builder, company) -> list[tuple[str, str]]:
    """(what, url) of every page the walk opens."""
    pages = [("dashboard", reverse("admin:index")), ("apps", reverse("admin:apps"))]
    pages += [
        (f"settings page {group.slug}", reverse("admin:tenants_companysetting_integration", args=[group.slug]))
        for group in setting_groups()
    ]
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        label = model._meta.label
        pages.append((f"{label} list", reverse(f"{prefix}_changelist")))
        pages.append((f"{label} add", reverse(f"{prefix}_add")))
        if model is Company or issubclass(model, CompanyOwned):
            row = builder.get(model, company)
            pages.append((f"{label} change", reverse(f"{prefix}_change", args=[row.pk])))
            pages.append((f"{label} history", reverse(f"{prefix}_history", args=[row.pk])))
        standard = {f"{model._meta.app_label}_{model._meta.model_name}_{v}" for v in ("changelist", "add", "history", "delete", "change")}  # fmt: skip
        for pattern in model_admin.get_urls():
            name = getattr(pattern, "name", None)
            if not name or name in standard:
                continue
            params = list(pattern.pattern.converters)
            if not params:
                pages.append((f"{label} {name}", reverse(f"admin:{name}")))
            elif len(params) == 1 and (model is Company or issubclass(model, CompanyOwned)):
                row = builder.get(model, company)
                pages.append((f"{label} {name}", reverse(f"admin:{name}", kwargs={params[0]: row.pk})))
    return pages


@pytest.mark.timeout(600)  # some 250 pages
def test_every_admin_page_is_in_portuguese(walk, client):
    company, user, builder = walk
    client.force_login(user)
    catalogue = project_catalogue()
    data = {"alfa"}
    problems, opened = [], 0
    for what, url in admin_pages(builder, company):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="pt-br")
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        opened += 1
        for english in english_found(page_text(response.content.decode()), catalogue, data):
            problems.append(f"{what} ({url}): {english}")

    assert opened > 100
    assert not problems, "\n".join(problems)


def _export_files(client, builder, company):
    """(what, filename, body) of every export action of every list, on the company's one row."""
    for model, model_admin in admin.site._registry.items():
        if not (issubclass(model, CompanyOwned)):
            continue
        for name in getattr(model_admin, "export_actions", ()):
            row = builder.get(model, company)
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            response = client.post(
                url, {"action": name, ACTION_CHECKBOX_NAME: [row.pk], "index": 0}, HTTP_ACCEPT_LANGUAGE="pt-br"
            )
            assert response.status_code == 200, (model._meta.label, name, response.status_code)
            disposition = response.get("Content-Disposition", "")
            assert "attachment" in disposition, (model._meta.label, name)
            yield f"{model._meta.label} {name}", disposition, response.content


def _file_text(disposition: str, body: bytes) -> str:
    if ".xlsx" in disposition:
        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        return "\n".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)
    text = body.decode("utf-8-sig")
    if ".csv" in disposition:
        return "\n".join(cell for row in csv.reader(io.StringIO(text)) for cell in row)
    return "\n".join(part for line in text.splitlines() for part in line.split(" | "))


def test_every_export_file_is_in_portuguese(walk, client):
    company, user, builder = walk
    client.force_login(user)
    catalogue = project_catalogue()
    problems, files = [], 0
    for what, disposition, body in _export_files(client, builder, company):
        files += 1
        text = _file_text(disposition, body)
        if "whatsapp" in disposition:
            text = "\n".join(re.sub(r"\+", " ", line) for line in text.splitlines())
            from urllib.parse import unquote  # noqa: PLC0415

            text = unquote(text)
        for english in english_found(text, catalogue, {"alfa"}):
            problems.append(f"{what}: {english}")

    assert files >= 8
    assert not problems, "\n".join(problems)


def test_the_walker_finds_english():
    catalogue = ["Average ticket"]

    assert english_found("Pedidos\nAverage ticket\nReceita", catalogue, set()) == [
        "'Average ticket' in 'Average ticket'"
    ]
    assert english_found("Add the customer", [], set()) == [
        "'add' in 'Add the customer'",
        "'the' in 'Add the customer'",
        "'customer' in 'Add the customer'",
    ]
    assert english_found("Pedidos pagos com Pix hoje", catalogue, set()) == []


def test_lists_show_money_as_reais_and_times_in_the_companys_zone(admin_client_a, company_a):
    Company.objects.filter(pk=company_a.pk).update(timezone="America/Manaus")  # UTC-4
    order = OrderFactory(company=company_a, total=Decimal("1234.56"))
    Order.objects.for_company(company_a).filter(pk=order.pk).update(placed_at=datetime(2026, 3, 9, 2, 30, tzinfo=UTC))

    orders = admin_client_a.get(reverse("admin:orders_order_changelist"), HTTP_ACCEPT_LANGUAGE="pt-br")
    payments = admin_client_a.get(reverse("admin:orders_payment_changelist"), HTTP_ACCEPT_LANGUAGE="pt-br")

    text = page_text(orders.content.decode())
    assert "R$ 1.234,56" in text
    assert "08/03/2026 22:30" in text  # 02:30 UTC is the evening before in Manaus
    assert "1234,56" not in text and "1234.56" not in text
    assert payments.status_code == 200
