from django.urls import path

from conversations.api.webhooks import webhook
from conversations.sent_file_view import sent_file

urlpatterns = [
    path("webhook/<str:channel_key>/", webhook, name="webhook"),
    # A provider configured without the final slash would get a redirect it does not follow for a POST.
    path("webhook/<str:channel_key>", webhook, name="webhook-without-slash"),
    path("sent-files/<str:token>/", sent_file, name="sent-file"),
]
