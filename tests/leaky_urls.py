"""A deliberately leaky admin and viewset, for the harness self-test only (never in config.urls)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpResponse, HttpResponseNotFound
from django.urls import include, path
from rest_framework import permissions, serializers, viewsets
from rest_framework.routers import DefaultRouter

from tenants.models import Membership
from tenants.views import switch_company


class LeakyMembershipAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return Membership.objects.unscoped()  # unscoped: the planted leak

    def has_module_permission(self, request):
        return True

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs["queryset"] = db_field.related_model._base_manager.all()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_urls(self):
        peek = path("<int:object_id>/peek/", self.admin_site.admin_view(self.peek_view), name="membership_peek")
        return [peek, *super().get_urls()]

    def peek_view(self, request, object_id):
        membership = Membership.objects.unscoped().filter(pk=object_id).first()  # unscoped: the planted leak
        return HttpResponse(membership.company.name) if membership else HttpResponseNotFound()


leaky_site = admin.AdminSite(name="leaky")
leaky_site.register(Membership, LeakyMembershipAdmin)


class LeakyMembershipSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())

    class Meta:
        model = Membership
        fields = ("id", "user", "role", "company")
        validators = []


class LeakyMembershipViewSet(viewsets.ModelViewSet):
    queryset = Membership.objects.unscoped().select_related("user")  # unscoped: the planted leak
    serializer_class = LeakyMembershipSerializer
    permission_classes = [permissions.IsAuthenticated]


router = DefaultRouter()
router.register("leaky-memberships", LeakyMembershipViewSet, basename="leaky-membership")

urlpatterns = [
    path("admin/switch-company/", switch_company, name="switch-company"),
    path("leaky-admin/", leaky_site.urls),
    path("api/", include(router.urls)),
]
