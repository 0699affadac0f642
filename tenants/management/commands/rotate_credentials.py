from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt every stored credential with the first key of CRED_ENCRYPTION_KEY."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            manager = model._base_manager  # every company's rows: key rotation is global by nature
            with transaction.atomic():
                for pk, *values in manager.values_list("pk", *[f.attname for f in fields]).iterator():
                    changes = {f.attname: v for f, v in zip(fields, values, strict=True) if v}
                    if changes:
                        manager.filter(pk=pk).update(**changes)
                        total += 1
        self.stdout.write(f"Re-encrypted {total} rows.")
