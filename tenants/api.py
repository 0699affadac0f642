"""API building blocks: every viewset and serializer of the project stands on these.

A viewset declares `model` (and optionally `scope_queryset()` for joins and filters); it may not
define `get_queryset`, `get_object` or `get_permissions`. The company is set in `initial()`, after
DRF has authenticated the request (token -> its company; session -> the switcher's company).
"""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.views import exception_handler as drf_exception_handler

from tenants.middleware import SESSION_KEY, bind_access
from tenants.models import ApiToken, Company, CompanyOwned
from tenants.permissions import CompanyRolePermission
from tenants.scoping import require_company_id, reset_company_id, set_company_id
from tenants.selectors import company_access, token_access

PROTECTED_METHODS = ("get_queryset", "get_object", "get_permissions")


class CompanyScopedViewSetMixin:
    model: type[CompanyOwned]
    permission_classes = [CompanyRolePermission]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in PROTECTED_METHODS:
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} may not override {name}(): use scope_queryset() instead.")
        model = getattr(cls, "model", None)
        if model is not None:
            # Only for introspection (router basename, OpenAPI); never evaluated for data.
            cls.queryset = model._default_manager.none()

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        if isinstance(request.auth, ApiToken):
            access = token_access(request.auth)
        else:
            access = company_access(
                request.user, request.session.get(SESSION_KEY) if hasattr(request, "session") else None
            )
        bind_access(request, access)
        bind_access(request._request, access)
        self._company_token = set_company_id(access.company.pk if access.company else None)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        token = getattr(self, "_company_token", None)
        if token is not None:
            try:
                # Rendered while the company is still current: the browsable API's forms query
                # scoped models, and for a token request nothing else would set the company.
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
            finally:
                reset_company_id(token)
                self._company_token = None
        return response

    def get_queryset(self):
        company = getattr(self.request, "company", None)
        if company is None:
            return self.model._default_manager.none()
        return self.scope_queryset(self.model._default_manager.for_company(company))

    def scope_queryset(self, queryset):
        """Hook for select_related, annotations and extra filters; the company filter is already on."""
        return queryset


class CompanyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key in a payload resolves only within the current company ("not found" otherwise)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        model = queryset.model
        if issubclass(model, CompanyOwned):
            return model._default_manager.for_company(require_company_id())
        if model is Company:
            return Company.objects.filter(pk=require_company_id())
        return queryset


class CompanyScopedModelSerializer(serializers.ModelSerializer):
    """Company is never read from the payload: it is the current company, set on create.

    DRF skips unique constraints that name a field the serializer lacks (`company`), so the
    model's own constraints are checked here: a duplicate is a 400, never an IntegrityError.
    """

    serializer_related_field = CompanyRelatedField

    def run_validation(self, data=empty):
        attrs = super().run_validation(data)
        if attrs is not None:
            self._validate_model_constraints(attrs)
        return attrs

    def _validate_model_constraints(self, attrs) -> None:
        model = self.Meta.model
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        concrete = {f.name for f in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in concrete:
                setattr(candidate, name, value)
        candidate.company_id = require_company_id()
        try:
            candidate.validate_constraints()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc

    def create(self, validated_data):
        validated_data["company_id"] = require_company_id()
        validated_data.pop("company", None)
        return super().create(validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("company", None)
        return super().update(instance, validated_data)


def exception_handler(exc, context):
    """DRF's handler, plus model validation errors as 400 with field messages (never a 500).

    A value the database cannot hold (a number out of its column's range that no serializer bound
    caught) is the client's bad input too: 400, after the request's transaction is rolled back.
    """
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = serializers.ValidationError(detail)
    elif isinstance(exc, DataError):
        exc = serializers.ValidationError({"non_field_errors": [_("A value is out of the allowed range.")]})
    return drf_exception_handler(exc, context)
