from django.urls import path

from conversations.api.webhooks import webhook

urlpatterns = [path("webhook/<str:channel_key>/", webhook, name="webhook")]
