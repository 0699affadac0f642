"""The project's admin site: its first page is the company's dashboard; the list of every page
moves to `apps/`; "Ver o site" leads back to the dashboard."""

from django.contrib import admin
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from console.views import dashboard_view


class ConsoleAdminSite(admin.AdminSite):
    site_title = "Balcão"
    site_header = "Balcão"
    index_title = _("Dashboard")

    def each_context(self, request):
        context = super().each_context(request)
        context["site_url"] = reverse(f"{self.name}:index")
        return context

    def index(self, request, extra_context=None):
        return dashboard_view(self, request)

    def apps_index(self, request, extra_context=None):
        """Django's own index: every app and model the user may open."""
        return super().index(request, {"title": _("All pages"), **(extra_context or {})})

    def get_urls(self):
        return [path("apps/", self.admin_view(self.apps_index), name="apps"), *super().get_urls()]
