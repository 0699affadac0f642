from django.http import FileResponse

from privacy.models import PrivacyRequest


def export_download(done: PrivacyRequest) -> FileResponse:
    """A finished export's zip as an attachment named after the customer's id, never their name."""
    return FileResponse(
        done.file.open("rb"),
        as_attachment=True,
        filename=f"lgpd-{done.customer_ref}.zip",
        content_type="application/zip",
    )
