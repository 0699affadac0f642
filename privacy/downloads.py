from django.http import FileResponse, Http404

from privacy.models import PrivacyRequest


def export_download(done: PrivacyRequest) -> FileResponse:
    """A finished export's zip, as an attachment named after the customer's id (never their name).
    404 when the request is no finished export, or its zip is no longer kept."""
    if done.kind != PrivacyRequest.Kind.EXPORT or done.status != PrivacyRequest.Status.SUCCEEDED or not done.file:
        raise Http404
    try:
        content = done.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        content, as_attachment=True, filename=f"lgpd-{done.customer_ref}.zip", content_type="application/zip"
    )
