"""The staff inbox pages inside the admin: the list with its tabs, one conversation as a chat, and the
actions (reply, take over, hand back, resolve). Thin: reads come from conversations.selectors and
conversations.panel, writes from conversations.services; the pages refresh parts of themselves
with htmx (served from static, no CDN) and work as plain forms without it.

Times are shown in the company's time zone.
"""

import zoneinfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from conversations.models import Message
from conversations.panel import customer_panel
from conversations.selectors import (
    ChatItem,
    ChatPage,
    Cursor,
    InboxTab,
    chat_fingerprint,
    chat_history,
    chat_live,
    conversation_unread_count,
    inbox_page,
    inbox_waiting_count,
)
from conversations.services import (
    ReplyRefused,
    ResumePoint,
    conversation_mark_read,
    conversation_release,
    conversation_reply,
    conversation_resolve,
    conversation_take_over,
    message_resend,
    reply_refusal,
)
from tenants.admin_mixins import scoped_queryset_for
from tenants.permissions import admin_page_allows
from tenants.scoping import company_scope
from tenants.selectors import NO_ACCESS

LIST_REFRESH_SECONDS = 3  # the bound: a new message shows in the list within 5 s
CHAT_REFRESH_SECONDS = 2
TEMPLATES = "admin/conversations/inbox/"


# Shown inline (thumbnails); any other type, SVG included, is only ever downloaded.
INLINE_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def company_zone(company) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(company.timezone)


def received_file_response(received) -> FileResponse:
    """The stored file, or 404 when storage no longer holds it (erased, expired, or a lost volume)."""
    try:
        stored = received.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is no longer available.")) from exc
    inline = received.content_type in INLINE_IMAGE_TYPES
    response = FileResponse(
        stored,
        as_attachment=not inline,
        filename=received.original_name or "arquivo",
        content_type=received.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


class InboxAdminMixin:
    """Mixed into ConversationAdmin: its get_urls() adds the inbox's pages."""

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("inbox/", view(self.inbox_view), name="conversations_conversation_inbox"),
            path("inbox/list/", view(self.inbox_list_view), name="conversations_conversation_inbox_list"),
            path("inbox/badge/", view(self.inbox_badge_view), name="conversations_conversation_inbox_badge"),
            path("<int:object_id>/chat/", view(self.chat_view), name="conversations_conversation_chat"),
            path(
                "<int:object_id>/chat/older/", view(self.chat_older_view), name="conversations_conversation_chat_older"
            ),
            path("<int:object_id>/chat/live/", view(self.chat_live_view), name="conversations_conversation_chat_live"),
            path("<int:object_id>/chat/reply/", view(self.reply_view), name="conversations_conversation_reply"),
            path(
                "<int:object_id>/chat/take-over/",
                view(self.take_over_view),
                name="conversations_conversation_take_over",
            ),
            path("<int:object_id>/chat/release/", view(self.release_view), name="conversations_conversation_release"),
            path("<int:object_id>/chat/resolve/", view(self.resolve_view), name="conversations_conversation_resolve"),
            path("<int:object_id>/chat/resend/", view(self.resend_view), name="conversations_conversation_resend"),
        ]
        return own + super().get_urls()

    # --- helpers -------------------------------------------------------------------------------

    def _access(self, request):
        return getattr(request, "company_access", NO_ACCESS)

    def _can_act(self, request) -> bool:
        """Whether the role may write to customers and change who answers (the matrix's reply page)."""
        return admin_page_allows(self._access(request), self.model, "conversations_conversation_reply")

    def _company(self, request):
        if request.company is None:
            raise PermissionDenied  # a superuser's all-companies view: the inbox is one company's
        if not self.has_view_permission(request):
            raise PermissionDenied
        return request.company

    def _conversation(self, request, object_id):
        conversation = (
            scoped_queryset_for(self.model, request)
            .select_related("company", "channel", "customer", "assigned_to")
            .filter(pk=object_id)
            .first()
        )
        if conversation is None or not self.has_view_permission(request, conversation):
            raise Http404
        return conversation

    def _render(self, request, template, company, context, **kwargs):
        with timezone.override(company_zone(company)), company_scope(company.pk):
            return render(request, TEMPLATES + template, context, **kwargs)

    # --- the list ------------------------------------------------------------------------------

    def _list_context(self, request, company) -> dict:
        tab = request.GET.get("tab")
        tab = tab if tab in InboxTab.values else InboxTab.WAITING
        return {
            "tab": tab,
            "tabs": InboxTab.choices,
            "rows": inbox_page(company=company, tab=tab),
            "waiting_count": inbox_waiting_count(company=company),
            "refresh_seconds": LIST_REFRESH_SECONDS,
        }

    def inbox_view(self, request):
        company = self._company(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Inbox"),
            **self._list_context(request, company),
        }
        return self._render(request, "inbox.html", company, context)

    def inbox_list_view(self, request):
        company = self._company(request)
        return self._render(request, "list.html", company, self._list_context(request, company))

    def inbox_badge_view(self, request):
        company = self._company(request)
        return self._render(request, "badge.html", company, {"inbox_waiting": inbox_waiting_count(company=company)})

    # --- one conversation ----------------------------------------------------------------------

    def _live_context(self, request, conversation, page, *, from_start: bool) -> dict:
        return {
            "conversation": conversation,
            "page": page,
            "from_start": from_start,
            "can_act": self._can_act(request),
            "resume_points": ResumePoint.choices,
            "fingerprint": chat_fingerprint(page, conversation),
            "refresh_seconds": CHAT_REFRESH_SECONDS,
        }

    def _mark_read(self, request, conversation) -> None:
        # Viewers read without clearing what the agents still have to answer.
        if self._can_act(request) and conversation_unread_count(conversation):
            conversation_mark_read(conversation=conversation)

    def chat_view(self, request, object_id):
        conversation = self._conversation(request, object_id)
        company = conversation.company
        page = chat_history(conversation=conversation)
        self._mark_read(request, conversation)
        refusal = reply_refusal(conversation)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": str(conversation.customer.name or conversation.customer.phone or _("Conversation")),
            "panel": customer_panel(conversation),
            "refusal": refusal.message if refusal else "",
            **self._live_context(request, conversation, page, from_start=page.older is None),
        }
        return self._render(request, "chat.html", company, context)

    def chat_older_view(self, request, object_id):
        conversation = self._conversation(request, object_id)
        try:
            before = Cursor.parse(request.GET.get("before"))
        except ValueError:
            return HttpResponseBadRequest(_("Invalid position in the conversation."))
        page = chat_history(conversation=conversation, before=before)
        return self._render(request, "older.html", conversation.company, {"conversation": conversation, "page": page})

    def chat_live_view(self, request, object_id):
        """The live part (status bar and messages since the page's oldest): 204 when nothing changed."""
        conversation = self._conversation(request, object_id)
        try:
            since = Cursor.parse(request.GET.get("since"))
        except ValueError:
            return HttpResponseBadRequest(_("Invalid position in the conversation."))
        from_start = request.GET.get("start") == "1"
        page = chat_live(conversation=conversation, since=since, from_start=from_start)
        self._mark_read(request, conversation)
        context = self._live_context(request, conversation, page, from_start=from_start)
        if context["fingerprint"] == request.GET.get("fp"):
            return HttpResponse(status=204)
        context["live_response"] = True  # the status bar travels with it (an out-of-band swap)
        return self._render(request, "live.html", conversation.company, context)

    # --- actions -------------------------------------------------------------------------------

    def _back(self, conversation):
        return HttpResponseRedirect(reverse("admin:conversations_conversation_chat", args=[conversation.pk]))

    @method_decorator(require_POST)
    def reply_view(self, request, object_id):
        conversation = self._conversation(request, object_id)  # the role: the matrix's check of the page
        error, message = "", None
        try:
            with company_scope(conversation.company_id):
                message = conversation_reply(
                    conversation=conversation,
                    user=request.user,
                    text=request.POST.get("text", ""),
                    upload=request.FILES.get("file"),
                )
        except ReplyRefused as exc:
            error = str(exc.message)
        if request.htmx:
            # The reply shows at once as it was queued (appended out of band), then the live part
            # refreshes with its delivery status.
            context = {
                "conversation": conversation,
                "error": error,
                "text": request.POST.get("text", "") if error else "",
                "sent": ChatPage(items=[ChatItem(at=message.created_at, message=message)], first=None, older=None)
                if message
                else None,
            }
            response = self._render(request, "reply_form.html", conversation.company, context)
            response["HX-Trigger"] = "chat-refresh"
            return response
        if error:
            messages.error(request, _("Not sent: %(error)s.") % {"error": error})
        return self._back(conversation)

    @method_decorator(require_POST)
    def take_over_view(self, request, object_id):
        return self._act(
            request, object_id, conversation_take_over, _("You took over this conversation: the bot is paused here.")
        )

    @method_decorator(require_POST)
    def release_view(self, request, object_id):
        resume = request.POST.get("resume") or ResumePoint.RESTART
        if resume not in ResumePoint.values:
            return HttpResponseBadRequest(_("Choose where the bot resumes."))
        return self._act(request, object_id, conversation_release, _("Handed back to the bot."), resume=resume)

    @method_decorator(require_POST)
    def resolve_view(self, request, object_id):
        return self._act(
            request, object_id, conversation_resolve, _("Resolved: the customer's next message opens it again.")
        )

    @method_decorator(require_POST)
    def resend_view(self, request, object_id):
        """Send a failed message of this conversation again (and those held behind it)."""
        conversation = self._conversation(request, object_id)  # the role: the matrix's check of the page
        with company_scope(conversation.company_id):
            message = (
                Message.objects.filter(conversation=conversation, pk=_int_or_none(request.POST.get("message")))
                .filter(direction=Message.Direction.OUTBOUND)
                .first()
            )
            with transaction.atomic():
                requeued = message_resend(message=message, user=request.user) if message else []
        if requeued:
            messages.success(request, _("Sending again."))
        else:
            messages.error(request, _("Only a failed message can be sent again."))
        return self._back(conversation)

    def _act(self, request, object_id, service, done: str, **options):
        conversation = self._conversation(request, object_id)  # the role: the matrix's check of the page
        with company_scope(conversation.company_id):
            service(conversation=conversation, user=request.user, **options)
        messages.success(request, done)
        return self._back(conversation)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
