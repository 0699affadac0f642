"""The pt-BR catalogue is complete and its compiled file is the one Django loads."""

import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "pt_BR" / "LC_MESSAGES"

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext tools not installed")


def test_every_message_is_translated_and_none_is_fuzzy():
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(LOCALE / "django.po")],
        capture_output=True,
        text=True,
        check=True,
    )

    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr


def test_compiled_catalogue_matches_the_source(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(LOCALE / "django.po")], check=True)

    assert compiled.read_bytes() == (LOCALE / "django.mo").read_bytes(), "run `make messages`"
