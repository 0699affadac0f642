"""List filters that are reached by a link (the dashboard's figures): the sidebar shows the active
one and a way to clear it, but offers no choices of its own."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.translation import gettext_lazy as _


class LinkedParameterFilter(admin.ListFilter):
    """Reads its `parameters` from the query string; `parse(name, raw)` returns the value or None
    when it cannot be read (the admin then answers as for any bad lookup); `filter(request,
    queryset, values)` narrows the rows once at least one parameter was given."""

    parameters: tuple[str, ...] = ()

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values = {}
        for name in self.parameters:
            if name in params:
                value = self.parse(name, params.pop(name)[-1])
                if value is None:
                    raise IncorrectLookupParameters(name)
                self.values[name] = value

    def parse(self, name: str, raw: str):
        return raw or None

    def has_output(self):
        return True  # the changelist applies only filters that have output

    def choices(self, changelist):
        yield {
            "selected": not self.values,
            "query_string": changelist.get_query_string(remove=self.parameters),
            "display": _("All"),
        }
        if self.values:
            yield {
                "selected": True,
                "query_string": changelist.get_query_string(),
                "display": self.describe(self.values),
            }

    def describe(self, values) -> str:
        return ", ".join(str(value) for value in values.values())

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        return self.filter(request, queryset, self.values) if self.values else queryset

    def filter(self, request, queryset, values):
        raise NotImplementedError
