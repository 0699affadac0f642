"""A received file whose stored bytes are gone answers 404, not 500."""

from django.urls import reverse

from conversations.models import ReceivedFile
from conversations.tests.factories import ConversationFactory, MessageFactory


def test_downloading_a_file_storage_no_longer_holds_is_a_404(company_a, admin_client_a):
    conversation = ConversationFactory(company=company_a)
    message = MessageFactory(conversation=conversation, company=company_a)
    received = ReceivedFile.objects.for_company(company_a).create(
        company=company_a,
        conversation=conversation,
        message=message,
        file="gone.txt",
        original_name="gone.txt",
        content_type="text/plain",
        size=4,
        sha256="0" * 64,
    )

    response = admin_client_a.get(reverse("admin:conversations_receivedfile_download", args=[received.pk]))

    assert response.status_code == 404
