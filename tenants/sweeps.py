"""How a periodic sweep crosses companies. Every sweep of the project follows this one pattern.

1. Visit the companies one at a time, in pk order, each inside its own `company_scope`:
   `for company in sweep_companies(): ...`. The sweep's queries go through the fail-closed tenant
   manager like any other code, so a sweep needs no unscoped escape hatch and never mixes two
   companies' rows.
2. In each company, read only the due rows, with a filter that a partial index leading with
   `company` answers (status in the index condition, the due timestamp in its columns), and at
   most `batch` of them per company and run. What is left is due again at the next run; a sweep
   that runs often enough re-queues itself when a batch came back full.
3. Rows the sweep changes are claimed through its app's lock_objects
   (`<model>_qs_select_for_update(skip_locked=True)`) and changed in the claim's transaction: two
   sweepers at once never take the same row, and each row is handled once. A sweep that only fans
   out tasks reads without a lock; the tasks themselves are idempotent.

Why per company and not one query over every company: "due" is often a company setting (reminder
and cancel minutes, stale-reset minutes), which one range scan per company answers from the
partial index, where a global query would have to read every candidate row; one company's backlog
fills only its own batch and cannot starve the others.

Cost: one query for the companies, then per company one statement per kind of due row, each
reading only due rows (carts/tests/test_sweeps.py and orders/tests/test_sweeps.py measure it): it
grows with companies and due rows, not with the size of the tables.
"""

from collections.abc import Iterator

from tenants.models import Company
from tenants.scoping import company_scope


def sweep_companies(*, include_inactive: bool = False) -> Iterator[Company]:
    """The active companies (every company with `include_inactive`), in pk order, each yielded
    inside its `company_scope`. The scope is open while the loop body runs and is closed when the
    loop moves on, ends, breaks or raises."""
    companies = Company.objects.order_by("pk")
    if not include_inactive:
        companies = companies.filter(active=True)
    for company in companies:
        with company_scope(company):
            yield company
