"""Row locks of the flows app (conventions in `tenants.lock_objects`)."""

from django.db.models import QuerySet

from flows.models import FlowPosition, FlowTemplate
from tenants.lock_objects import company_owned_qs_select_for_update
from tenants.models import Company


def flow_template_qs_select_for_update(*, company: Company | int | None = None) -> QuerySet[FlowTemplate]:
    return company_owned_qs_select_for_update(FlowTemplate, company=company)


def flow_position_qs_select_for_update(
    *, company: Company | int | None = None, skip_locked: bool = False
) -> QuerySet[FlowPosition]:
    return company_owned_qs_select_for_update(FlowPosition, company=company, skip_locked=skip_locked)
