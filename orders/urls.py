from django.urls import path

from orders import views

urlpatterns = [
    path("payments/qr/<uuid:public_id>.png", views.payment_qr, name="payment-qr"),
    path("webhook/mercadopago/<str:webhook_key>/", views.mercadopago_webhook, name="mercadopago-webhook"),
    path("webhook/mercadopago/<str:webhook_key>", views.mercadopago_webhook, name="mercadopago-webhook-without-slash"),
    path("cron/avaliar", views.cron_rating_requests, name="cron-avaliar"),
]
