from django.utils.translation import gettext as _

from leads.commands import ImportCommand
from leads.recovery import recovery_summary


class Command(ImportCommand):
    help = (
        "Import WooCommerce abandoned carts and/or orders from the company's WordPress database (idempotent). "
        "--check_recovery prints the recovery figures afterwards; alone (no dates) it only prints them."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--import_type", choices=("all", "carts", "orders"), default="all")
        parser.add_argument("--check_recovery", action="store_true", help="print recovered/waiting/abandoned carts")

    def handle(self, *args, company, **options):
        has_period = any(options.get(name) for name in ("start_date", "end_date", "periodo"))
        start = end = None
        if has_period or not options["check_recovery"]:
            run = self.run_import(company, options["import_type"], options, check_recovery=options["check_recovery"])
            start, end = run.period_start, run.period_end
        if options["check_recovery"]:
            self.stdout.write(format_recovery(recovery_summary(company, start, end)))


def format_recovery(figures: dict) -> str:
    lines = [
        _("Recovery: %(carts)s abandoned carts: %(recovered)s recovered, %(waiting)s waiting, %(abandoned)s abandoned")
        % figures,
        _("Recovery rate: %(recovery_rate)s%%; recovered revenue: %(recovered_revenue)s") % figures,
        _("Orders: %(orders)s; average ticket: %(average_ticket)s") % figures,
        _("Recurrence: %(repeat_customers)s of %(customers_with_orders)s customers with 2+ orders") % figures,
    ]
    if figures["average_days_between_orders"] is not None:
        lines.append(_("Average days between orders: %(average_days_between_orders)s") % figures)
    return "\n".join(lines)
