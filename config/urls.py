from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.health import health
from flows.views import cron_reset_states
from tenants.views import switch_company

urlpatterns = [
    path("health/", health, name="health"),
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("balcao/favicon.svg"))),
    path("cron/reset-states", cron_reset_states, name="cron-reset-states"),
    path("admin/switch-company/", switch_company, name="switch-company"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("config.api_router")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("conversations.urls")),
    path("", include("carts.urls")),
    path("", include("orders.urls")),
]
