"""The harness itself: Chromium opens the live server in pt-BR at both widths, a real worker runs a
task published by the test process, and a failing browser test leaves a screenshot."""

import uuid

import pytest
from django.core.cache import cache

from tenants.tasks import ping_task
from tests.browser.driver import DESKTOP, MOBILE, wait_until
from tests.browser.plugin import save_screenshot_if_failed, screenshot_path


@pytest.mark.parametrize("browser", [DESKTOP, MOBILE], indirect=True)
def test_browser_opens_the_admin_login_in_portuguese_at_its_width(browser):
    browser.get(browser.live_server_url + "/admin/login/")

    assert browser.find_element("css selector", "html").get_attribute("lang") == "pt-br"
    assert "Usuário" in browser.page_source
    assert browser.execute_script("return window.innerWidth") == browser.window_width


def test_browser_login_opens_the_admin_as_that_user(browser_login, manager_a):
    browser = browser_login(manager_a)

    browser.get(browser.live_server_url + "/admin/")

    assert "manager-a" in browser.page_source.lower()


def test_real_worker_runs_a_task_the_test_publishes(celery_worker):
    token = uuid.uuid4().hex

    ping_task.delay(token=token)

    assert wait_until(lambda: cache.get(f"celery-ping:{token}"), timeout=30, what="the ping task"), (
        celery_worker.output()
    )


def test_screenshot_file_name_is_safe_and_under_var():
    path = screenshot_path("conversations/tests/test_x.py::test_y[390]")

    assert path.parent.name == "test-screenshots"
    assert path.name == "conversations_tests_test_x.py_test_y_390.png"


class _Report:
    def __init__(self, failed):
        self.failed = failed


class _Node:
    def __init__(self, failed):
        self.nodeid = "tests/browser/test_harness.py::test_example[1440]"
        self.report_call = _Report(failed)


def test_a_failing_browser_test_leaves_a_screenshot_of_its_page(browser):
    browser.get(browser.live_server_url + "/admin/login/")

    path = save_screenshot_if_failed(browser, _Node(failed=True))

    try:
        assert path == screenshot_path(_Node(failed=True).nodeid)
        assert path.read_bytes().startswith(b"\x89PNG")
    finally:
        path.unlink()


def test_a_passing_browser_test_leaves_no_screenshot(browser):
    assert save_screenshot_if_failed(browser, _Node(failed=False)) is None
