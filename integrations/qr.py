"""QR code images of Pix payloads, for `GET /payments/qr/<payment_id>.png`."""

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage

MAX_BOX_SIZE = 40  # pixels per module; beyond this the PNG only grows, scanners gain nothing


def qr_png(payload: str, box_size: int = 8, border: int = 4) -> bytes:
    """PNG bytes of a QR code holding `payload` (a BR Code "copia e cola" string), black on white,
    error correction level M, the smallest QR version that fits. `box_size` is the pixel size of one
    module (1..40); `border` the quiet zone in modules (4 is the QR minimum for scanners).
    ValueError for an empty payload or out-of-range sizes."""
    if not payload:
        raise ValueError("QR payload is empty")
    if not 1 <= box_size <= MAX_BOX_SIZE:
        raise ValueError(f"box_size must be between 1 and {MAX_BOX_SIZE}")
    if not 0 <= border <= 10:
        raise ValueError("border must be between 0 and 10")
    code = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(image_factory=PilImage).save(buffer, format="PNG")
    return buffer.getvalue()
