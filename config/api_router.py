"""Every API resource is registered here, so the isolation harness and OpenAPI see them all."""

from rest_framework.routers import DefaultRouter

from leads.api.views import CustomerViewSet, LeadViewSet
from tenants.api_views import CompanySettingViewSet, MembershipViewSet

router = DefaultRouter()
router.register("company-settings", CompanySettingViewSet, basename="company-setting")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("customers", CustomerViewSet, basename="customer")
router.register("leads", LeadViewSet, basename="lead")

urlpatterns = router.urls
