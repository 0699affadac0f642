"""The role-matrix harness: walk every admin page, admin action, custom admin page and API operation
as a member of one role, and compare each answer with tenants.permissions.

Allowed: the answer is not a 403 (nor a crash), and an allowed action is in the role's action menu.
Refused: the answer is a 403, and no row of the model or of the addressed objects changed. Every
request runs in a savepoint that is rolled back, so the walk's rows stay as built.
Enumeration is the isolation harness's (tests/isolation.py): a model registered in the admin, an
action it offers, a page its get_urls() adds, an operation of the OpenAPI schema is covered by
existing. The walkers return findings (strings) so the self-test can show they catch planted ones.
"""

from dataclasses import dataclass

from django.contrib.admin import ModelAdmin
from django.contrib.admin.sites import AdminSite
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from tenants.models import Company
from tenants.permissions import ADMIN, API, IMPLICIT_API_ACTIONS, AdminEntry
from tenants.selectors import CompanyAccess
from tests.builders import ObjectBuilder
from tests.isolation import PATH_PARAM, _fill, api_operations, is_tenant_model, snapshot

STANDARD_ADMIN_VIEWS = ("changelist", "add", "history", "delete", "change")


@dataclass
class RoleWorld:
    company: Company
    builder: ObjectBuilder

    def row(self, model):
        return self.builder.get(model, self.company)


# --- Enumeration -------------------------------------------------------------------------------


def admin_actions(site: AdminSite, company: Company, superuser) -> dict[type, set[str]]:
    """Every action each ModelAdmin offers a superuser (mixins add theirs in get_actions)."""
    request = RequestFactory().get("/")
    request.user = superuser
    request.company_access = CompanyAccess(company=company, membership=None, is_superuser=True)
    request.company = company
    return {model: set(model_admin.get_actions(request)) for model, model_admin in site._registry.items()}


def admin_pages(model_admin: ModelAdmin) -> list:
    """The URL patterns a ModelAdmin adds to the standard ones (named or not)."""
    standard = {str(pattern.pattern) for pattern in ModelAdmin.get_urls(model_admin)}
    return [pattern for pattern in model_admin.get_urls() if str(pattern.pattern) not in standard]


def matrix_gaps(site: AdminSite, actions: dict[type, set[str]], urlconf=None) -> list[str]:
    """What the site and the API offer that the matrix does not name."""
    gaps = []
    for model, model_admin in site._registry.items():
        label = model._meta.label
        entry = ADMIN.get(label)
        if entry is None:
            gaps.append(f"admin model {label}: no entry in tenants.permissions.ADMIN")
            continue
        if not entry.view:
            continue  # superusers only: no role reaches its actions or pages
        for name in sorted(actions[model] - {"delete_selected"} - set(entry.actions)):
            gaps.append(f"admin action {label}.{name}: no entry in ADMIN['{label}'].actions")
        for pattern in admin_pages(model_admin):
            if pattern.name not in entry.pages:
                gaps.append(f"admin page {label} {pattern.pattern}: no entry in ADMIN['{label}'].pages")
    for path, method, view in api_operations(urlconf):
        basename, action = getattr(view, "basename", None), getattr(view, "action", None)
        if basename is None:
            continue  # schema and docs: not a company resource
        if action not in API.get(basename, {}):
            gaps.append(f"API {method.upper()} {path}: no entry API['{basename}']['{action}']")
    return gaps


def stale_entries(site: AdminSite, actions: dict[type, set[str]], basenames: set[str]) -> list[str]:
    """Matrix entries naming what no longer exists (a renamed model, action, page or route)."""
    stale = []
    registered = {model._meta.label: (model, model_admin) for model, model_admin in site._registry.items()}
    for label, entry in ADMIN.items():
        if label not in registered:
            stale.append(f"ADMIN['{label}']: not a registered admin model")
            continue
        model, model_admin = registered[label]
        stale += [f"ADMIN['{label}'].actions['{name}']: no such action" for name in set(entry.actions) - actions[model]]
        pages = {pattern.name for pattern in admin_pages(model_admin)}
        stale += [f"ADMIN['{label}'].pages['{name}']: no such page" for name in set(entry.pages) - pages]
    stale += [f"API['{basename}']: no such route" for basename in set(API) - basenames]
    return stale


# --- Requests ----------------------------------------------------------------------------------


class _Crashed:
    def __init__(self, exc):
        self.status_code = 500
        self.content = repr(exc).encode()
        self.context = None


def fingerprint(watch) -> list:
    """Rows (their values) and models (their row count) whose change a refused request must not cause."""
    return [
        item._base_manager.count() if isinstance(item, type) else snapshot(item)
        for item in watch  # _base_manager: a count across companies, never refused for lack of scope
    ]


def call(client, method: str, url: str, data=None, watch=()):
    """(response, whether anything in `watch` changed), the request's writes rolled back."""
    try:
        with transaction.atomic():
            before = fingerprint(watch)
            if method == "get":
                response = client.get(url)
            elif hasattr(client, "credentials"):  # an APIClient: JSON bodies
                response = getattr(client, method)(url, data or {}, format="json")
            else:
                response = getattr(client, method)(url, data or {})
            changed = fingerprint(watch) != before
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001 - a crash is a finding, not the end of the walk
        return _Crashed(exc), False
    return response, changed


def judge(allowed: bool, response, changed: bool, what: str) -> list[str]:
    """Only permission findings: an allowed request that then fails on the walk's empty or generic
    data (a 400, even a crash) got past the role check, which is all this walk is about."""
    code = response.status_code
    if allowed and code == 403:
        return [f"{what}: refused, the matrix allows it"]
    if not allowed and code != 403:
        return [f"{what}: answered {code}, the matrix refuses it (403 expected)"]
    if not allowed and changed:
        return [f"{what}: refused but changed rows"]
    return []


# --- Admin -------------------------------------------------------------------------------------


def walk_admin(world: RoleWorld, site: AdminSite, client: Client, role: str, actions) -> list[str]:
    findings = []
    for model, model_admin in site._registry.items():
        label = f"{role} admin {model._meta.label}"
        entry = ADMIN.get(model._meta.label)
        if entry is None:
            findings.append(f"{label}: no entry in the matrix")
            continue
        prefix = f"{site.name}:{model._meta.app_label}_{model._meta.model_name}"
        changelist_url = reverse(f"{prefix}_changelist")
        changelist, _ = call(client, "get", changelist_url)
        findings += judge(role in entry.view, changelist, False, f"{label} changelist")
        add, _ = call(client, "get", reverse(f"{prefix}_add"))
        findings += judge(role in entry.add, add, False, f"{label} add page")
        if not is_tenant_model(model):
            continue  # platform tables: the changelist and add page say it all
        row = world.row(model)
        watch = (model, row)
        findings += _admin_row(client, prefix, row, entry, role, label, watch)
        findings += _admin_actions(client, changelist_url, changelist, row, entry, role, label, actions[model], watch)
        findings += _admin_pages(client, site, model_admin, row, entry, role, label, watch)
    return findings


def _admin_row(client, prefix, row, entry: AdminEntry, role, label, watch) -> list[str]:
    change_url = reverse(f"{prefix}_change", args=[row.pk])
    delete_url = reverse(f"{prefix}_delete", args=[row.pk])
    add_url = reverse(f"{prefix}_add")
    checks = [
        ("get", change_url, None, role in entry.view | entry.change, "change page"),
        ("post", add_url, {}, role in entry.add, "add POST"),
        ("post", change_url, {}, role in entry.change, "change POST"),
        ("get", delete_url, None, role in entry.delete, "delete page"),
    ]
    findings = []
    for method, url, data, allowed, what in checks:
        response, changed = call(client, method, url, data, watch)
        findings += judge(allowed, response, changed, f"{label} {what}")
    delete_page = response
    response, changed = call(client, "post", delete_url, {"post": "yes"}, watch)
    if role in entry.delete and _blocked_by_related_rows(delete_page):
        return findings  # Django refuses: the row takes with it rows nobody may delete (a ledger)
    return findings + judge(role in entry.delete, response, changed, f"{label} delete POST")


def _blocked_by_related_rows(delete_page) -> bool:
    context = getattr(delete_page, "context", None) or {}
    return delete_page.status_code == 200 and bool(context.get("perms_lacking") or context.get("protected"))


def _offered_actions(changelist) -> set[str]:
    if changelist.status_code != 200 or not changelist.context or not changelist.context.get("action_form"):
        return set()
    return {name for name, _label in changelist.context["action_form"].fields["action"].choices if name}


def _admin_actions(client, url, changelist, row, entry, role, label, names, watch) -> list[str]:
    findings = []
    offered = _offered_actions(changelist)
    for name in sorted(names):
        roles = entry.delete if name == "delete_selected" else entry.actions.get(name, frozenset())
        allowed = role in roles
        what = f"{label} action {name}"
        if allowed and name not in offered:
            findings.append(f"{what}: not in the action menu, the matrix allows it")
        if not allowed and name in offered:
            findings.append(f"{what}: in the action menu, the matrix refuses it")
        data = {"action": name, "_selected_action": [row.pk], "index": 0}
        response, changed = call(client, "post", url, data, watch)
        findings += judge(allowed, response, changed, what)
    return findings


def _admin_pages(client, site, model_admin, row, entry, role, label, watch) -> list[str]:
    findings = []
    for pattern in admin_pages(model_admin):
        allowed = role in entry.pages.get(pattern.name, frozenset())
        params = list(pattern.pattern.converters)
        kwargs = {params[0]: row.pk} if params else {}
        url = reverse(f"{site.name}:{pattern.name}", kwargs=kwargs)
        for method in ("get", "post"):
            response, changed = call(client, method, url, {}, watch)
            findings += judge(allowed, response, changed, f"{label} page {pattern.name} {method.upper()}")
    return findings


# --- API ---------------------------------------------------------------------------------------


def walk_api(world: RoleWorld, client, role: str, urlconf=None) -> list[str]:
    findings = []
    for path, method, view in api_operations(urlconf):
        basename, action = getattr(view, "basename", None), getattr(view, "action", None)
        model = getattr(getattr(view, "queryset", None), "model", None)
        if basename is None or model is None:
            continue
        what = f"{role} API {method.upper()} {path}"
        roles = API.get(basename, {}).get(action)
        if roles is None and action not in IMPLICIT_API_ACTIONS:
            findings.append(f"{what}: no entry API['{basename}']['{action}']")
            roles = frozenset()
        try:
            url, objs = _fill(path, PATH_PARAM.findall(path), model, world.row)
        except LookupError as exc:
            findings.append(f"{what}: {exc}")
            continue
        response, changed = call(client, method, url, {}, (model, *objs))
        findings += judge(role in roles, response, changed, what)
    return findings

