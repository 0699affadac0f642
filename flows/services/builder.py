"""Saving the builder page: a template's flows, subflows and messages in one go, checked first."""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from flows.checker import FIELD_CODES, Issue, check_template
from flows.models import FlowTemplate


@dataclass
class BuilderSave:
    saved: bool
    issues: list[Issue] = field(default_factory=list)  # all issues of the draft after the save (or the refused one)
    error: str = ""  # a save the database refused (e.g. two flows with one name)

    @property
    def refusing(self) -> list[Issue]:
        """The issues that refused the save (they sit in one field of one row)."""
        return [i for i in self.issues if i.code in FIELD_CODES]


def _save_rows(formset, company_id: int, **parents) -> list:
    """Save the changed and new rows of a valid model formset (deletions are left to the caller)."""
    rows = formset.save(commit=False)
    for row in rows:
        row.company_id = company_id
        for name, value in parents.items():
            setattr(row, name, value)
        row.save()
    return list(formset.deleted_objects)


def builder_save(*, template: FlowTemplate, flows, subflows, messages) -> BuilderSave:
    """Save the three valid formsets of the builder page atomically, then run the checker on the
    draft: an issue in a field (unknown action or variable, unsupported syntax, duplicate keyword,
    too long) rolls everything back and is returned for the page to show on that field; issues of
    how subflows connect (unreachable, a wait leading nowhere) are returned but let the save stand
    (publishing refuses them). Runs inside the template's company scope."""
    try:
        with transaction.atomic():
            deleted = _save_rows(flows, template.company_id, template_id=template.pk)
            deleted += _save_rows(subflows, template.company_id)
            deleted += _save_rows(messages, template.company_id)
            for row in reversed(deleted):  # messages, then subflows, then flows
                if row.pk is not None:
                    type(row).objects.filter(pk=row.pk).delete()
            result = BuilderSave(saved=True, issues=check_template(template_id=template.pk))
            if result.refusing:
                result.saved = False
                transaction.set_rollback(True)
    except IntegrityError:
        return BuilderSave(
            saved=False, error=_("Two flows of this template have the same name, or two are the default.")
        )
    return result
