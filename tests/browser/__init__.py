"""Browser tests: real Chromium (Debian's `chromium` + `chromium-driver`) driven by Selenium against
pytest-django's live server, with a real Celery worker where a test needs one.

Fixtures and hooks live in `tests.browser.plugin` (loaded by the root conftest): `browser` (headless,
1440 px wide unless parametrized indirectly with a width, e.g. MOBILE), `browser_login`,
`celery_worker`, the `browser` marker (added to every test that uses the fixture) and a screenshot
of every failing browser test under `var/test-screenshots/`.
"""
