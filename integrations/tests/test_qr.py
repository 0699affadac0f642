import io

import pytest
from PIL import Image

from integrations.qr import qr_png

BCB_STATIC = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
    "5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BLACK, WHITE = 0, 255


def open_png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("L")


def test_png_of_a_br_code_has_the_qr_geometry():
    data = qr_png(BCB_STATIC, box_size=8)

    image = open_png(data)
    assert data.startswith(PNG_MAGIC)
    # 126 characters at level M fit version 7 (45 modules) once qrcode packs the digit/upper-case
    # runs in numeric/alphanumeric segments; plus a 4-module quiet zone on each side.
    assert image.size == ((45 + 2 * 4) * 8, (45 + 2 * 4) * 8)
    assert image.getpixel((0, 0)) == WHITE  # quiet zone
    assert image.getpixel((4 * 8, 4 * 8)) == BLACK  # outer ring of the top-left finder pattern
    assert image.getpixel((5 * 8, 5 * 8)) == WHITE  # white ring inside it
    assert image.getpixel((7 * 8, 7 * 8)) == BLACK  # finder centre
    assert set(image.getdata()) == {BLACK, WHITE}


def test_box_size_scales_the_image():
    small, large = open_png(qr_png(BCB_STATIC, box_size=2)), open_png(qr_png(BCB_STATIC, box_size=10))

    assert (small.size, large.size) == ((106, 106), (530, 530))


def test_non_ascii_payload_is_rendered():
    image = open_png(qr_png(BCB_STATIC.replace("BRASILIA", "BRASÍLIA")))

    assert image.size[0] > 0


@pytest.mark.parametrize(
    ("payload", "kwargs", "message"),
    [
        ("", {}, "payload is empty"),
        (BCB_STATIC, {"box_size": 0}, "box_size must be between 1 and 40"),
        (BCB_STATIC, {"box_size": 41}, "box_size must be between 1 and 40"),
        (BCB_STATIC, {"border": -1}, "border must be between 0 and 10"),
    ],
)
def test_invalid_arguments_are_rejected(payload, kwargs, message):
    with pytest.raises(ValueError, match=message):
        qr_png(payload, **kwargs)
