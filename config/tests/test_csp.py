"""Every page carries a Content-Security-Policy without 'unsafe-inline', and no page needs one:
no inline script or style without the response's nonce, no style attributes, no event handlers."""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tenants.middleware import SESSION_KEY
from tenants.models import CompanyOwned
from tenants.tests.factories import CompanyFactory, UserFactory
from tests.builders import ObjectBuilder
from tests.permission_matrix import admin_pages

NONCE = re.compile(r"'nonce-([^']+)'")


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block."""

    def __init__(self, nonce: str | None):
        super().__init__()
        self.nonce = nonce
        self.blocked: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=...>")
            if name == "style":
                self.blocked.append(f"<{tag} style={value!r}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.blocked.append(f"<{tag} {name}={value!r}>")
        executable = tag == "script" and attributes.get("type", "text/javascript") in ("text/javascript", "module")
        if (executable and "src" not in attributes or tag == "style") and attributes.get("nonce") != self.nonce:
            self.blocked.append(f"<{tag}> inline without the response's nonce")


def blocked_inline_code(response) -> list[str]:
    policy = response.get("Content-Security-Policy", "")
    nonce = NONCE.search(policy)
    parser = InlineCode(nonce.group(1) if nonce else None)
    parser.feed(response.content.decode())
    return parser.blocked


def policy_of(response) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.fixture
def root_in_company(client, db):
    """A superuser acting in one company with a row of every model: every admin page renders something."""
    company = CompanyFactory(slug="alpha")
    builder = ObjectBuilder(marker_for=lambda c: "alpha")
    for model in apps.get_models():
        if issubclass(model, CompanyOwned):
            builder.get(model, company)
    client.force_login(UserFactory(username="root", is_superuser=True))
    session = client.session
    session[SESSION_KEY] = company.pk
    session.save()
    return client, builder, company


def test_the_policy_refuses_inline_code_and_foreign_origins(client, db):
    response = client.get("/admin/login/")

    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_api_answers_carry_the_policy_too(api_client_a):
    assert "Content-Security-Policy" in api_client_a.get("/api/company-settings/")


def test_no_admin_page_has_inline_code_the_policy_would_block(root_in_company):
    client, builder, company = root_in_company
    blocked = {}
    urls = ["/admin/", "/admin/password_change/"]
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        if issubclass(model, CompanyOwned):
            row = builder.get(model, company)
            urls.append(reverse(f"{prefix}_change", args=[row.pk]))
            for pattern in admin_pages(model_admin):
                params = list(pattern.pattern.converters)
                urls.append(reverse(f"admin:{pattern.name}", kwargs={params[0]: row.pk} if params else {}))
    for url in urls:
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            blocked[url] = blocked_inline_code(response)

    assert len(blocked) > 60  # the walk did reach the pages
    assert {url: found for url, found in blocked.items() if found} == {}


def test_the_login_page_and_the_api_docs_have_no_blocked_inline_code(client, db):
    login = client.get("/admin/login/")
    docs = client.get("/api/docs/")
    docs_script = client.get("/api/docs/?script=")

    assert blocked_inline_code(login) == []
    assert blocked_inline_code(docs) == []
    assert docs_script["Content-Type"].startswith("application/javascript")


def test_the_checker_sees_what_the_policy_would_block():
    class Page:
        content = (
            b'<script>alert(1)</script><script nonce="n1">ok()</script><script src="/s.js"></script>'
            b'<script type="application/json">{}</script><div style="color:red" onclick="x()"></div>'
            b'<style nonce="other">p{}</style>'
        )

        def get(self, name, default=""):
            return "script-src 'self' 'nonce-n1'" if name == "Content-Security-Policy" else default

    assert blocked_inline_code(Page()) == [
        "<script> inline without the response's nonce",
        "<div style='color:red'>",
        "<div onclick=...>",
        "<style> inline without the response's nonce",
    ]
