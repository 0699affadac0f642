from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "carts"

    def ready(self):
        from carts.actions import register_all  # noqa: PLC0415 - models must be loaded first

        register_all()

        from carts.free_text import register  # noqa: PLC0415 - models must be loaded first

        register()
