"""The pytest side of the browser tests: marker, fixtures, screenshots of failures (see the package docstring)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from config import services
from tests.browser.driver import DESKTOP, MISSING_HINT, find_binaries, start_chromium
from tests.worker import CeleryWorker

SCREENSHOT_DIR = Path(settings.BASE_DIR) / "var" / "test-screenshots"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium against the live server (tests/browser)")


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def screenshot_path(nodeid: str) -> Path:
    return SCREENSHOT_DIR / (re.sub(r"[^\w.-]+", "_", nodeid).strip("_")[:180] + ".png")


@pytest.fixture(scope="session")
def browser_binaries():
    binaries = find_binaries()
    if binaries is None:
        reason = f"chromium and chromedriver are not installed ({MISSING_HINT})"
        if services.services_required():
            pytest.fail(f"{reason} and REQUIRE_SERVICES=1")
        pytest.skip(reason)
    return binaries


@pytest.fixture
def browser(request, browser_binaries, live_server):
    """A headless Chromium, DESKTOP (1440 px) wide; `@pytest.mark.parametrize("browser", [MOBILE],
    indirect=True)` for another width. A failing test leaves its screenshot in var/test-screenshots/."""
    width = getattr(request, "param", DESKTOP)
    driver = start_chromium(browser_binaries, width=width)
    driver.live_server_url = live_server.url
    driver.window_width = width
    try:
        yield driver
    finally:
        save_screenshot_if_failed(driver, request.node)
        driver.quit()


def save_screenshot_if_failed(driver, node) -> Path | None:
    """The page as the failing test left it, in var/test-screenshots/<test id>.png (None if it passed)."""
    report = getattr(node, "report_call", None)
    if report is None or not report.failed:
        return None
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = screenshot_path(node.nodeid)
    driver.save_screenshot(str(path))
    print(f"screenshot of the failing page: {path}")
    return path


@pytest.fixture
def browser_login(browser):
    """browser_login(user): the browser is logged in as `user` (a session cookie, no login form)."""
    from django.test import Client  # noqa: PLC0415 - Django is set up by then

    def login(user):
        client = Client()
        client.force_login(user)
        browser.get(browser.live_server_url + "/health/")  # a cookie needs a page of its domain first
        browser.add_cookie(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "path": "/",
            }
        )
        return browser

    return login


@pytest.fixture
def celery_worker(transactional_db, redis_url, tmp_path):
    """A real Celery worker consuming the pipeline's queues on the test database (see tests.worker)."""
    worker = CeleryWorker(redis_url, tmp_path / "celery-worker.log").start()
    try:
        yield worker
    finally:
        worker.stop()
