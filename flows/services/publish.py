"""Publishing: freeze the draft (the template's editable rows) into the next FlowVersion."""

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import serializers

from flows.checker import check_snapshot, issues_detail
from flows.lock_objects import flow_template_qs_select_for_update
from flows.models import FlowTemplate, FlowVersion
from flows.selectors import snapshot_from_rows, template_rows_load
from flows.services.transfer import flow_template_export


def flow_template_publish(*, template: FlowTemplate, published_by: str = "") -> FlowVersion:
    """Make the template's current draft the version customers talk to, atomically.

    Creates FlowVersion `published_version + 1` holding the engine snapshot of the active parts
    (with the draft's ids, so positions stay meaningful) and the export document, and moves
    `template.published_version` to it, in one transaction with the template row locked (two
    publishes in a race get consecutive numbers). Conversations already in progress keep the
    version they started on. Raises `rest_framework.serializers.ValidationError` when the draft has
    no active message to publish, or when the checker (flows.checker) finds an issue (under
    "checker", one line each); then nothing changes. Runs inside the template's company scope.
    """
    with transaction.atomic():
        locked = flow_template_qs_select_for_update().get(pk=template.pk)
        rows = template_rows_load(template_id=locked.pk, active_template_only=False)
        if not rows["messages"]:
            raise serializers.ValidationError(
                {"template": [_("Nothing to publish: the draft has no active flow with active messages.")]}
            )
        issues = check_snapshot(snapshot_from_rows(locked.pk, rows))
        if issues:
            raise serializers.ValidationError({"checker": issues_detail(issues)})
        number = locked.published_version + 1
        FlowTemplate.objects.filter(pk=locked.pk).update(published_version=number)
        version = FlowVersion.objects.create(
            company_id=locked.company_id,
            template=locked,
            number=number,
            snapshot=rows,
            document=flow_template_export(template=locked),
            published_by=published_by[:150],
        )
    template.published_version = number
    return version
