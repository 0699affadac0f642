"""The tenant-isolation harness: walk every admin page and every API operation as company A's user.

Company B's data exists; every failure to hide it is reported as a leak (a string). The harness is
generic: a model registered in the admin, or a viewset registered on the router, is covered by
being registered. Both walkers return the list of leaks instead of asserting, so the self-test
can show they catch planted ones.
"""

import json
import re
from dataclasses import dataclass, field

from django.contrib.admin.sites import AdminSite
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.forms.models import ModelChoiceField, ModelMultipleChoiceField
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.test import APIClient

from flows.models import Flow, FlowTemplate, Subflow
from tenants.models import Company, CompanyOwned
from tests.builders import ObjectBuilder

MARKER_B = "leakmarkerb"
MISSING_PK = 999_999_999
PATH_PARAM = re.compile(r"{([^}]+)}")
WRITE_METHODS = ("put", "patch", "delete", "post")
# Nested routes name their parent, e.g. {template_id}: map such names to models here.
PATH_PARAMETER_MODELS: dict[str, type[models.Model]] = {
    "template_id": FlowTemplate,
    "flow_id": Flow,
    "subflow_id": Subflow,
}


@dataclass
class World:
    company_a: Company
    company_b: Company
    user_a: object
    builder: ObjectBuilder
    leaks: list[str] = field(default_factory=list)

    def b(self, model):
        return self.builder.get(model, self.company_b)

    def a(self, model):
        return self.builder.get(model, self.company_a)


def owner_company_id(world: "World", obj) -> int | None:
    if isinstance(obj, Company):
        return obj.pk
    if isinstance(obj, CompanyOwned):
        return obj.company_id
    if isinstance(obj, get_user_model()):
        built_for = [
            c for (model, c), built in world.builder.built.items() if model is type(obj) and built.pk == obj.pk
        ]
        return built_for[0] if built_for else None
    return None


def is_tenant_model(model) -> bool:
    return model is Company or issubclass(model, CompanyOwned)


def snapshot(obj) -> dict:
    return type(obj)._base_manager.filter(pk=obj.pk).values().first() or {}


# --- Admin ------------------------------------------------------------------------------------


def walk_admin(world: World, site: AdminSite, client: Client) -> list[str]:
    leaks: list[str] = []
    for model in site._registry:
        prefix = f"{site.name}:{model._meta.app_label}_{model._meta.model_name}"
        label = f"admin {model._meta.label}"
        changelist = reverse(f"{prefix}_changelist")
        if not is_tenant_model(model):
            response = client.get(changelist)
            if response.status_code == 200:
                leaks.append(f"{label}: a global table is visible to a company user")
            continue
        leaks += _admin_changelist(world, client, changelist, model, label)
        leaks += _custom_admin_views(world, site, client, model, label)  # before the delete attempt below
        b_obj = world.b(model)
        for view in ("change", "history", "delete"):
            url = reverse(f"{prefix}_{view}", args=[b_obj.pk])
            missing = reverse(f"{prefix}_{view}", args=[MISSING_PK])
            leaks += _same_as_missing(client, url, missing, f"{label} {view} of B's row")
        before = snapshot(b_obj)
        client.post(reverse(f"{prefix}_delete", args=[b_obj.pk]), {"post": "yes"})
        if snapshot(b_obj) != before:
            leaks.append(f"{label}: POST delete changed B's row")
        add = client.get(reverse(f"{prefix}_add"))
        if add.status_code == 200:
            leaks += _form_choices(world, add, f"{label} add form")
        change = client.get(reverse(f"{prefix}_change", args=[world.a(model).pk]))
        if change.status_code == 200:
            leaks += _form_choices(world, change, f"{label} change form")
        leaks += _autocomplete(world, site, client, model, label)
    return leaks


STANDARD_ADMIN_VIEWS = ("changelist", "add", "history", "delete", "change")


def _custom_admin_views(world, site, client, model, label) -> list[str]:
    """A ModelAdmin's own pages (get_urls: simulate, publish, import, progress...): one taking an
    object id must answer B's id as it answers a missing one, by GET and by POST, show none of B's
    data and change none of B's rows; one without an id must show none of B's data."""
    model_admin = site._registry[model]
    prefix = f"{model._meta.app_label}_{model._meta.model_name}"
    standard = {f"{prefix}_{view}" for view in STANDARD_ADMIN_VIEWS}
    leaks = []
    for pattern in model_admin.get_urls():
        name = getattr(pattern, "name", None)
        if not name or name in standard:
            continue
        what = f"{label} page '{name}'"
        params = list(pattern.pattern.converters)
        if not params:
            response = client.get(reverse(f"{site.name}:{name}"))
            if MARKER_B in response.content.decode().lower():
                leaks.append(f"{what}: shows B's data")
            continue
        b_obj = world.b(model)
        url = reverse(f"{site.name}:{name}", kwargs={params[0]: b_obj.pk})
        missing = reverse(f"{site.name}:{name}", kwargs={params[0]: MISSING_PK})
        before = snapshot(b_obj)
        for method in ("get", "post"):
            response, expected = getattr(client, method)(url), getattr(client, method)(missing)
            if response.status_code not in (302, 403, 404, 405) or response.status_code != expected.status_code:
                leaks.append(
                    f"{what} {method.upper()} with B's id: answered {response.status_code}, "
                    f"a missing id answers {expected.status_code}"
                )
            if MARKER_B in response.content.decode().lower():
                leaks.append(f"{what} {method.upper()} with B's id: shows B's data")
        if snapshot(b_obj) != before:
            leaks.append(f"{what}: POST with B's id changed B's row")
    return leaks


def _admin_changelist(world, client, url, model, label) -> list[str]:
    response = client.get(url)
    if response.status_code != 200:
        return [f"{label}: changelist answered {response.status_code} to A's manager"]
    leaks = []
    changelist = response.context["cl"]
    foreign = [
        obj.pk for obj in changelist.result_list if owner_company_id(world, obj) not in (world.company_a.pk, None)
    ]
    if foreign:
        leaks.append(f"{label}: changelist lists B's rows {foreign}")
    own_count = model._default_manager.for_company(world.company_a).count() if model is not Company else 1
    # An admin with show_full_result_count = False counts only the filtered rows: unfiltered, the same.
    counted = changelist.result_count if changelist.full_result_count is None else changelist.full_result_count
    if counted != own_count:
        leaks.append(f"{label}: changelist counts {counted} rows, A has {own_count}")
    if MARKER_B in response.content.decode().lower():
        leaks.append(f"{label}: changelist page shows B's data")
    return leaks


def _same_as_missing(client, url, missing_url, what) -> list[str]:
    response, missing = client.get(url), client.get(missing_url)
    # 403 is fine when a missing id gets it too: it is about the user's role, not about the row.
    if response.status_code not in (302, 403, 404) or response.status_code != missing.status_code:
        return [f"{what}: answered {response.status_code}, a missing id answers {missing.status_code}"]
    if MARKER_B in response.content.decode().lower():
        return [f"{what}: page shows B's data"]
    return []


def _form_choices(world, response, what) -> list[str]:
    forms = []
    if response.context.get("adminform"):
        forms.append(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        forms += list(inline.formset.forms) + [inline.formset.empty_form]
    leaks = []
    for form in forms:
        for name, form_field in form.fields.items():
            if isinstance(form_field, ModelChoiceField | ModelMultipleChoiceField):
                foreign = [o.pk for o in form_field.queryset if owner_company_id(world, o) == world.company_b.pk]
                if foreign:
                    leaks.append(f"{what}: field '{name}' offers B's rows {foreign}")
    return leaks


def _autocomplete(world, site, client, model, label) -> list[str]:
    leaks = []
    for fk in model._meta.concrete_fields:
        remote_admin = site._registry.get(fk.related_model) if fk.is_relation else None
        if remote_admin is None or not remote_admin.search_fields:
            continue
        params = {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": fk.name}
        response = client.get(reverse(f"{site.name}:autocomplete"), params)
        if response.status_code == 200:
            ids = {str(world.b(fk.related_model).pk)}
            offered = {item["id"] for item in response.json()["results"]}
            if offered & ids:
                leaks.append(f"{label}: autocomplete of '{fk.name}' offers B's row")
    return leaks


# --- API --------------------------------------------------------------------------------------


def api_operations(urlconf=None):
    """(path template, method, view class) of every operation in the OpenAPI schema."""
    generator = SchemaGenerator(urlconf=urlconf)
    generator._initialise_endpoints()
    for path, _path_regex, method, view in generator._get_paths_and_endpoints():
        yield path, method.lower(), view


def walk_api(world: World, client: APIClient, urlconf=None) -> list[str]:
    leaks: list[str] = []
    for path, method, view in api_operations(urlconf):
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None:
            continue  # not a model resource (schema, docs)
        label = f"API {method.upper()} {path}"
        params = PATH_PARAM.findall(path)
        if not params:
            leaks += _api_collection(world, client, path, method, model, view, label)
            continue
        try:
            b_url, b_objs = _fill(path, params, model, world.b)
            a_url, _ = _fill(path, params, model, world.a)
        except LookupError as exc:
            leaks.append(f"{label}: {exc}")
            continue
        before = [snapshot(o) for o in b_objs]
        response = _call(client, method, b_url, {})
        if response.status_code not in (404, 405):
            leaks.append(f"{label} with B's id: answered {response.status_code}, expected 404")
        if MARKER_B in response.content.decode().lower():
            leaks.append(f"{label} with B's id: response shows B's data")
        if [snapshot(o) for o in b_objs] != before:
            leaks.append(f"{label} with B's id: B's row changed")
        if method in ("put", "patch"):
            leaks += _foreign_reference(world, client, a_url, method, model, view, label, world.a(model))
    return leaks


def _api_collection(world, client, path, method, model, view, label) -> list[str]:
    if method == "get":
        response = _call(client, "get", path, None)
        if response.status_code != 200:
            return [f"{label}: answered {response.status_code} to A's manager"]
        leaks = []
        if MARKER_B in response.content.decode().lower():
            leaks.append(f"{label}: response shows B's data")
        body = response.json() if response.get("Content-Type", "").startswith("application/json") else None
        rows = body.get("results") if isinstance(body, dict) else body
        b_pk = world.b(model).pk
        if isinstance(rows, list) and any(isinstance(r, dict) and r.get("id") == b_pk for r in rows):
            leaks.append(f"{label}: lists B's row {b_pk}")
        if isinstance(body, dict) and "count" in body:
            own = model._default_manager.for_company(world.company_a).count()
            if body["count"] != own:
                leaks.append(f"{label}: counts {body['count']} rows, A has {own}")
        return leaks
    if method == "post":
        return _foreign_reference(world, client, path, method, model, view, label, None)
    return []


def _foreign_reference(world, client, url, method, model, view, label, instance) -> list[str]:
    """Send a payload whose foreign keys point at B's rows: it must be refused and change nothing."""
    payload, relations = _payload_with_b_relations(world, model, view)
    if not relations:
        return []
    count_before = model._default_manager.unscoped().count() if issubclass(model, CompanyOwned) else None
    before = snapshot(instance) if instance is not None else None
    response = _call(client, method, url, payload)
    leaks = []
    if response.status_code not in (400, 404):
        leaks.append(f"{label}: accepted B's ids in {sorted(relations)} (answered {response.status_code})")
    if count_before is not None and model._default_manager.unscoped().count() != count_before:
        leaks.append(f"{label}: created a row referencing B's data")
    if instance is not None and snapshot(instance) != before:
        leaks.append(f"{label}: A's row now references B's data")
    return leaks


def _payload_with_b_relations(world, model, view) -> tuple[dict, set[str]]:
    serializer_class = view.get_serializer_class() if hasattr(view, "get_serializer_class") else None
    if serializer_class is None:
        return {}, set()
    serializer = serializer_class(instance=world.a(model), context={"request": None})
    payload, relations = {}, set()
    for name, serializer_field in serializer.fields.items():
        if serializer_field.read_only:
            continue
        target = _related_model(serializer_field)
        if target is not None and is_tenant_model(target) or target is get_user_model():
            b_pk = world.b(target).pk
            payload[name] = [b_pk] if isinstance(serializer_field, ManyRelatedField) else b_pk
            relations.add(name)
        else:
            try:
                payload[name] = json.loads(json.dumps(serializer.data.get(name), default=str))
            except (TypeError, ValueError, AttributeError):
                continue
    return payload, relations


def _related_model(serializer_field):
    inner = serializer_field.child_relation if isinstance(serializer_field, ManyRelatedField) else serializer_field
    if isinstance(inner, RelatedField) and inner.queryset is not None:
        return inner.queryset.model
    return None


def _fill(path, params, model, pick) -> tuple[str, list]:
    url, objs = path, []
    for name in params:
        target = model if name in ("id", "pk") else PATH_PARAMETER_MODELS.get(name)
        if target is None:
            raise LookupError(f"the harness does not know what {{{name}}} refers to: add it to PATH_PARAMETER_MODELS")
        obj = pick(target)
        objs.append(obj)
        url = url.replace(f"{{{name}}}", str(obj.pk))
    return url, objs


class _Crashed:
    """Stands in for a response when the view raised: reported like a 500."""

    def __init__(self, exc):
        self.status_code = 500
        self.content = repr(exc).encode()


def _call(client, method, url, payload):
    try:
        with transaction.atomic():  # a crash mid-request must not poison the test's transaction
            return getattr(client, method)(url, payload, format="json") if method != "get" else client.get(url)
    except Exception as exc:  # noqa: BLE001 - a crash is a finding, not the end of the walk
        return _Crashed(exc)
