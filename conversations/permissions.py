"""Who may work the staff inbox. One place, so the role matrix can take it over as it is.

Reading conversations follows the company membership (viewers read). Writing to a customer and
changing who answers them (reply, take over, hand back, resolve) is for agents and above.
"""

from rest_framework.permissions import BasePermission

from tenants.permissions import CompanyRolePermission


def can_work_conversations(access) -> bool:
    """Reply, take over, hand back to the bot, resolve: every member but viewers (and superusers)."""
    return access.can_write


class ConversationWorkPermission(BasePermission):
    """API: the company's role rules, and `can_work_conversations` for the inbox's actions."""

    def has_permission(self, request, view):
        access = getattr(request, "company_access", None)
        return CompanyRolePermission().has_permission(request, view) and can_work_conversations(access)
