"""API permission by membership role: members read, viewers never write, only owners/managers delete."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class CompanyRolePermission(BasePermission):
    def has_permission(self, request, view):
        access = getattr(request, "company_access", None)
        if access is None or access.company is None:
            return False
        if request.method in SAFE_METHODS:
            return access.can_read
        if request.method == "DELETE":
            return access.can_delete
        return access.can_write
