from django.core.management.base import BaseCommand

from carts.sweeps import carts_cleanup_old


class Command(BaseCommand):
    help = "Delete bot carts untouched for 7 days (not checked out) and expired session contexts."

    def handle(self, *args, **options):
        deleted = carts_cleanup_old()
        self.stdout.write(f"carts deleted: {deleted['carts']}, sessions deleted: {deleted['sessions']}")
