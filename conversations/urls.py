from django.urls import path

from conversations.api.webhooks import webhook

urlpatterns = [
    path("webhook/<str:channel_key>/", webhook, name="webhook"),
    # A provider configured without the final slash would get a redirect it does not follow for a POST.
    path("webhook/<str:channel_key>", webhook, name="webhook-without-slash"),
]
