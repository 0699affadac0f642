"""Row locks: every SELECT ... FOR UPDATE of the project is built here and in the apps' own
`lock_objects` modules, as named `<model>_qs_select_for_update()` functions (after Saleor's
`lock_objects.py`). A test greps for any other caller of `select_for_update`.

The querysets they return:
- lock the model's own rows only (`of=("self",)`), never the rows a `select_related` joins in;
- are ordered by pk, so two transactions that lock several rows of one table take them in the
  same order and cannot deadlock each other. A claim with `skip_locked=True` may order by its due
  column instead: it never waits for a lock, so its order cannot deadlock;
- read through the tenant manager: with `company`, that company's rows (`for_company`); without,
  the current company scope's (and, with no scope, they refuse to run).
"""

from django.db.models import Model, QuerySet

from tenants.models import Company


def company_owned_qs_select_for_update(
    model: type[Model], *, company: Company | int | None = None, skip_locked: bool = False
) -> QuerySet:
    """`model`'s rows, locked FOR UPDATE when evaluated inside a transaction, in pk order."""
    manager = model._default_manager
    rows = manager.all() if company is None else manager.for_company(company)
    return rows.select_for_update(skip_locked=skip_locked, of=("self",)).order_by("pk")
