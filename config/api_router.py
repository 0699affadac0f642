"""Every API resource is registered here, so the isolation harness and OpenAPI see them all."""

from rest_framework.routers import DefaultRouter

from carts.api.views import CartViewSet
from catalog.api.views import CategoryViewSet, DeliveryZoneViewSet, ProductViewSet
from console.api import DashboardViewSet
from conversations.api.views import BotViewSet, ChannelViewSet, ConversationViewSet, SettingsViewSet
from flows.api import views as flows_views
from leads.api.analytics import LeadAnalyticsViewSet, RecoveryAnalyticsViewSet
from leads.api.views import CustomerViewSet, FormVibesKeysViewSet, LeadViewSet
from orders.api.views import OrderViewSet
from privacy.api.views import CustomerPrivacyViewSet, PrivacyRequestViewSet
from tenants.api_views import ApiTokenViewSet, CompanySettingViewSet, MembershipViewSet

router = DefaultRouter()
# Existing bot clients call the routes without the trailing slash (`/api/bot/status`); a redirect
# would turn their POSTs into errors, so both spellings are served.
router.trailing_slash = "/?"
router.register("company-settings", CompanySettingViewSet, basename="company-setting")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("tokens", ApiTokenViewSet, basename="api-token")
# Before the customers' own routes: both live under customers/, and the API root lists the last one.
router.register("customers", CustomerPrivacyViewSet, basename="customer-privacy")
router.register("customers", CustomerViewSet, basename="customer")
router.register("leads", LeadViewSet, basename="lead")
router.register("analytics/recovery", RecoveryAnalyticsViewSet, basename="recovery-analytics")
router.register("analytics/leads", LeadAnalyticsViewSet, basename="lead-analytics")
router.register("formvibes-keys", FormVibesKeysViewSet, basename="formvibes-keys")
router.register("flow-templates", flows_views.FlowTemplateViewSet, basename="flow-template")
router.register(r"templates/(?P<template_id>\d+)/flows", flows_views.TemplateFlowViewSet, basename="template-flow")
router.register(r"flows/(?P<flow_id>\d+)/subflows", flows_views.FlowSubflowViewSet, basename="flow-subflow")
router.register("flows", flows_views.FlowViewSet, basename="flow")
router.register(r"subflows/(?P<subflow_id>\d+)/messages", flows_views.SubflowMessageViewSet, basename="subflow-message")
router.register("subflows", flows_views.SubflowViewSet, basename="subflow")
router.register("flow-messages", flows_views.FlowMessageViewSet, basename="flow-message")
router.register("export/flows", flows_views.FlowExportViewSet, basename="flow-export")
router.register("import/flows", flows_views.FlowImportViewSet, basename="flow-import")
router.register("analytics", flows_views.FlowAnalyticsViewSet, basename="flow-analytics")
router.register("channels", ChannelViewSet, basename="channel")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("bot", BotViewSet, basename="bot")
router.register("settings", SettingsViewSet, basename="settings")
router.register("categories", CategoryViewSet, basename="category")
router.register("products", ProductViewSet, basename="product")
router.register("delivery-zones", DeliveryZoneViewSet, basename="delivery-zone")
router.register("carts", CartViewSet, basename="cart")
router.register("orders", OrderViewSet, basename="order")
router.register("privacy-requests", PrivacyRequestViewSet, basename="privacy-request")
router.register("dashboard", DashboardViewSet, basename="dashboard")

urlpatterns = router.urls
