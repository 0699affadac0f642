"""Who may do what: the role matrix, as data, and the checks every entry point reads it through.

Roles (Membership.Role): owner > manager > agent > viewer. A superuser acting through a session may
do everything; through an API token a superuser has only the token's membership role. A token always
carries its user's *current* role in the token's company (tenants.selectors.token_access), so
lowering a role lowers every token of that user at once.

Enforcement, all reading the tables below:
- admin: CompanyScopedAdminMixin.has_*_permission (ADMIN[model].view/add/change/delete), its
  action menu and action POSTs (ADMIN[model].actions), and every custom page a ModelAdmin adds
  in get_urls (ADMIN[model].pages, by URL name), which is wrapped in a role check;
- API: CompanyRolePermission, by (router basename, viewset action) in API.

Anything without an entry is refused to every role (a superuser's session still passes), and
tenants/tests/test_permission_matrix.py fails naming it. To add an entry:
- a new admin model: `ADMIN["app.Model"] = AdminEntry(view=..., add=..., change=..., delete=...)`;
- a new admin action: its name in that entry's `actions` (`delete_selected` follows `delete`);
- a new custom admin page: its URL name in that entry's `pages`;
- a new API route or @action: `API[basename][action]`, e.g. `API["conversation"]["reply"] = STAFF`.
The matrix test then proves each role gets exactly what the entry says (403 otherwise).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from rest_framework.permissions import BasePermission

from tenants.models import Membership

Roles = frozenset[str]

OWNER, MANAGER, AGENT, VIEWER = (role.value for role in Membership.Role)
EVERYONE: Roles = frozenset({OWNER, MANAGER, AGENT, VIEWER})
STAFF: Roles = frozenset({OWNER, MANAGER, AGENT})  # day-to-day work: conversations, orders, carts, flows
MANAGERS: Roles = frozenset({OWNER, MANAGER})  # the company's configuration, deleting
OWNERS: Roles = frozenset({OWNER})  # members and their roles
NOBODY: Roles = frozenset()

# Who sees and revokes the API tokens of other members (everyone else sees only their own).
OTHERS_TOKENS: Roles = OWNERS


@dataclass(frozen=True)
class AdminEntry:
    view: Roles
    add: Roles
    change: Roles
    delete: Roles
    actions: Mapping[str, Roles] = field(default_factory=dict)
    pages: Mapping[str, Roles] = field(default_factory=dict)  # URL name -> roles


def day_to_day(**extra) -> AdminEntry:
    """Everyone reads, staff add and edit, managers delete."""
    return AdminEntry(view=EVERYONE, add=STAFF, change=STAFF, delete=MANAGERS, **extra)


def records(**extra) -> AdminEntry:
    """Written by the system only (messages, ledgers, engine state): read, and managers may delete."""
    return AdminEntry(view=EVERYONE, add=NOBODY, change=NOBODY, delete=MANAGERS, **extra)


def configuration(**extra) -> AdminEntry:
    """The company's set-up (settings, channels): everyone reads, managers change."""
    return AdminEntry(view=EVERYONE, add=MANAGERS, change=MANAGERS, delete=MANAGERS, **extra)


SUPERUSER_ONLY = AdminEntry(view=NOBODY, add=NOBODY, change=NOBODY, delete=NOBODY)
FILE_EXPORTS = {"export_csv": EVERYONE, "export_xlsx": EVERYONE, "export_txt": EVERYONE, "export_whatsapp": EVERYONE}
EXPORTS = {**FILE_EXPORTS, "export_google_sheets": STAFF}  # Sheets writes to the company's spreadsheet
ACTIVATION = {"activate": STAFF, "deactivate": STAFF}

ADMIN: dict[str, AdminEntry] = {
    # Platform tables: superusers only.
    "auth.User": SUPERUSER_ONLY,
    "auth.Group": SUPERUSER_ONLY,
    "django_celery_beat.PeriodicTask": SUPERUSER_ONLY,
    "django_celery_beat.ClockedSchedule": SUPERUSER_ONLY,
    "django_celery_beat.CrontabSchedule": SUPERUSER_ONLY,
    "django_celery_beat.SolarSchedule": SUPERUSER_ONLY,
    "django_celery_beat.IntervalSchedule": SUPERUSER_ONLY,
    # tenants
    "tenants.Company": AdminEntry(view=EVERYONE, add=NOBODY, change=MANAGERS, delete=NOBODY),
    "tenants.Membership": AdminEntry(view=EVERYONE, add=OWNERS, change=OWNERS, delete=OWNERS),
    # The integration pages: everyone reads them; saving and "Testar" (POST) need change (managers).
    "tenants.CompanySetting": configuration(
        pages={"tenants_companysetting_integrations": EVERYONE, "tenants_companysetting_integration": EVERYONE}
    ),
    # Tokens are always the requesting user's own; nobody edits one (revoke and create anew).
    "tenants.ApiToken": AdminEntry(view=EVERYONE, add=EVERYONE, change=NOBODY, delete=EVERYONE),
    # conversations
    "conversations.Conversation": day_to_day(
        pages={
            # The staff inbox: everyone reads it; writing to a customer and changing who answers is staff's.
            "conversations_conversation_inbox": EVERYONE,
            "conversations_conversation_inbox_list": EVERYONE,
            "conversations_conversation_inbox_badge": EVERYONE,
            "conversations_conversation_chat": EVERYONE,
            "conversations_conversation_chat_older": EVERYONE,
            "conversations_conversation_chat_live": EVERYONE,
            "conversations_conversation_reply": STAFF,
            "conversations_conversation_take_over": STAFF,
            "conversations_conversation_release": STAFF,
            "conversations_conversation_resolve": STAFF,
            "conversations_conversation_resend": STAFF,
        }
    ),
    # The channel page's QR (polled while connecting) is for everyone who reads the page; asking
    # the provider again ("Testar / atualizar") is a change.
    "conversations.Channel": configuration(
        pages={
            "conversations_channel_qr": EVERYONE,
            "conversations_channel_refresh": MANAGERS,
            "conversations_channel_connection": MANAGERS,
        }
    ),
    # A failed outbound message: staff send it again (with those held behind it).
    "conversations.Message": records(actions={"resend": STAFF}),
    # Raw provider bodies: not for viewers.
    "conversations.InboundEvent": AdminEntry(
        view=STAFF, add=NOBODY, change=NOBODY, delete=MANAGERS, actions={"replay": MANAGERS}
    ),
    "conversations.ReceivedFile": records(pages={"conversations_receivedfile_download": EVERYONE}),
    # flows
    "flows.FlowTemplate": day_to_day(
        actions={**ACTIVATION, "export_json": EVERYONE, "duplicate": STAFF},
        pages={
            "flows_flowtemplate_import": STAFF,
            "flows_flowtemplate_console_chat": STAFF,
            "flows_flowtemplate_simulate": EVERYONE,  # a dry run: nothing is sent or saved
            "flows_flowtemplate_publish": STAFF,
            "flows_flowtemplate_builder": EVERYONE,  # viewers read it; saving checks the change permission
            "flows_flowtemplate_graph": EVERYONE,
            "flows_flowtemplate_preview": STAFF,  # the console's docked chat: real carts and orders
        },
    ),
    "flows.Flow": day_to_day(actions=ACTIVATION),
    "flows.Subflow": day_to_day(actions=ACTIVATION),
    "flows.FlowMessage": day_to_day(actions=ACTIVATION),
    "flows.FlowPosition": records(),
    # catalog
    "catalog.Category": day_to_day(),
    "catalog.Product": day_to_day(),
    "catalog.StockMovement": AdminEntry(view=EVERYONE, add=NOBODY, change=NOBODY, delete=NOBODY),
    "catalog.DeliveryZone": day_to_day(),
    # carts
    "carts.Cart": day_to_day(actions=EXPORTS),
    "carts.SessionContext": records(),
    # orders
    "orders.Order": day_to_day(
        actions={
            "mark_paid": STAFF,
            "mark_preparing": STAFF,
            "mark_out_for_delivery": STAFF,
            "mark_completed": STAFF,
            "mark_cancelled": STAFF,
            "erp_push_again_action": STAFF,
            "confirm_static_pix_action": STAFF,
            **EXPORTS,
        },
        pages={
            "orders_order_board": EVERYONE,
            "orders_order_move": STAFF,
            "orders_order_confirm_pix": STAFF,
            "orders_order_ticket": EVERYONE,
        },
    ),
    "orders.Payment": records(),
    # leads, and privacy's LGPD export and erasure of a customer (owners and managers only)
    "customers.Customer": day_to_day(
        actions={**EXPORTS, "privacy_export": MANAGERS, "privacy_erase": MANAGERS, "merge_customers": MANAGERS},
        pages={"customers_customer_privacy_export": MANAGERS, "customers_customer_privacy_erase": MANAGERS},
    ),
    "leads.Lead": day_to_day(actions=EXPORTS),
    "leads.ImportRun": AdminEntry(
        view=EVERYONE,
        add=STAFF,
        change=NOBODY,
        delete=MANAGERS,
        pages={"leads_importrun_progress": EVERYONE, "leads_importrun_test": STAFF},
    ),
    "leads.ImportedCart": AdminEntry(view=EVERYONE, add=NOBODY, change=STAFF, delete=MANAGERS, actions=FILE_EXPORTS),
    # privacy: the record of every export and erasure stays (nobody deletes it); exports hold personal data
    "privacy.PrivacyRequest": AdminEntry(
        view=MANAGERS,
        add=NOBODY,
        change=NOBODY,
        delete=NOBODY,
        pages={"privacy_privacyrequest_progress": MANAGERS, "privacy_privacyrequest_download": MANAGERS},
    ),
}

STANDARD_API_ACTIONS = ("list", "retrieve", "create", "update", "partial_update", "destroy")


def rest(*, read: Roles = EVERYONE, write: Roles = STAFF, delete: Roles = MANAGERS, **extra: Roles) -> dict:
    """The standard actions of a resource (those the viewset does not offer are simply unused), plus `extra`."""
    standard = {"list": read, "retrieve": read, "create": write, "update": write, "partial_update": write}
    return {**standard, "destroy": delete, **extra}


API: dict[str, dict[str, Roles]] = {
    "company-setting": rest(write=MANAGERS),
    "membership": rest(write=NOBODY, delete=NOBODY),  # members and roles change in the admin, by owners
    "api-token": rest(write=EVERYONE, delete=EVERYONE),  # one's own tokens only
    "customer": rest(export=EVERYONE),
    "lead": rest(export=EVERYONE, stats=EVERYONE),
    "formvibes-keys": rest(read=MANAGERS),  # the WordPress settings form's key picker
    "recovery-analytics": rest(export=EVERYONE),
    "lead-analytics": rest(),
    "flow-template": rest(publish=STAFF, versions=EVERYONE, analytics=EVERYONE),
    "template-flow": rest(),
    "flow-subflow": rest(),
    "flow": rest(simulate=STAFF, simulate_flow=STAFF),
    "subflow-message": rest(),
    "subflow": rest(),
    "flow-message": rest(),
    "flow-export": rest(),
    "flow-import": rest(),
    "flow-analytics": rest(conversations=EVERYONE, files=EVERYONE),
    "channel": rest(write=MANAGERS),
    "conversation": rest(history=EVERYONE, reply=STAFF, take_over=STAFF, release=STAFF, resolve=STAFF),
    "bot": rest(status=EVERYONE, enable=MANAGERS, disable=MANAGERS, test_mode=MANAGERS),
    "settings": rest(write=MANAGERS),
    "category": rest(),
    "product": rest(stock=STAFF),
    "delivery-zone": rest(),
    "cart": rest(export=EVERYONE),
    "order": rest(export=EVERYONE, transition=STAFF),
    # LGPD: a person's data leaves, or is destroyed, only at an owner's or a manager's request
    "customer-privacy": {"data_export": MANAGERS, "erase": MANAGERS},
    "privacy-request": rest(read=MANAGERS, write=NOBODY, delete=NOBODY, download=MANAGERS),
    "dashboard": rest(),
}
# Implicit on every viewset: OPTIONS (DRF's "metadata") and a method the route does not offer (405).
IMPLICIT_API_ACTIONS = (None, "metadata")


def role_in(access, roles: Roles) -> bool:
    """Whether the request's access (tenants.selectors.CompanyAccess) holds one of `roles`."""
    return access.membership is not None and access.membership.role in roles


def _admin_entry(model) -> AdminEntry | None:
    return ADMIN.get(model._meta.label)


def admin_allows(access, model, permission: str) -> bool:
    """`permission` is view, add, change or delete."""
    if access.is_superuser:
        return True
    entry = _admin_entry(model)
    return entry is not None and role_in(access, getattr(entry, permission))


def admin_action_allows(access, model, action: str) -> bool:
    if access.is_superuser:
        return True
    entry = _admin_entry(model)
    if entry is None:
        return False
    roles = entry.delete if action == "delete_selected" else entry.actions.get(action, NOBODY)
    return role_in(access, roles)


def admin_page_allows(access, model, url_name: str) -> bool:
    if access.is_superuser:
        return True
    entry = _admin_entry(model)
    return entry is not None and role_in(access, entry.pages.get(url_name, NOBODY))


def api_allows(access, basename: str | None, action: str | None) -> bool:
    if access.is_superuser:
        return True  # a superuser's session (a token carries only its membership's role)
    if action in IMPLICIT_API_ACTIONS:
        return access.can_read
    return role_in(access, API.get(basename or "", {}).get(action, NOBODY))


class CompanyRolePermission(BasePermission):
    """API permission from the matrix: the viewset's router basename and the action being run."""

    def has_permission(self, request, view):
        access = getattr(request, "company_access", None)
        if access is None or access.company is None:
            return False
        return api_allows(access, getattr(view, "basename", None), getattr(view, "action", None))
