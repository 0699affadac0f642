import json

from django.core.management.base import CommandError

from flows.models import FlowTemplate
from flows.services import flow_template_export
from tenants.commands import CompanyCommand


class Command(CompanyCommand):
    help = "Export one flow template of a company as versioned JSON (stdout, or -o FILE)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("template_id", type=int)
        parser.add_argument("-o", "--output", help="File to write (default: stdout)")

    def handle(self, *args, **options):
        template = FlowTemplate.objects.filter(pk=options["template_id"]).first()
        if template is None:
            raise CommandError(f"Flow template {options['template_id']} does not exist in this company.")
        text = json.dumps(flow_template_export(template=template), ensure_ascii=False, indent=2)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            self.stdout.write(f"Exported '{template.name}' to {options['output']}")
        else:
            self.stdout.write(text)
