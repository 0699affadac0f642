from django.urls import path

from carts import views

urlpatterns = [path("cron/abandoned-carts", views.cron_abandoned_carts, name="cron-abandoned-carts")]
