"""Chromium for the browser tests: found on the PATH, started headless, waited on."""

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass

DESKTOP, MOBILE = 1440, 390  # window widths in CSS pixels (a laptop; a common phone)
HEIGHTS = {DESKTOP: 900, MOBILE: 844}
WAIT_SECONDS = 15.0
MISSING_HINT = "install them with: apt-get install -y chromium chromium-driver"
# Injected by the browser itself before any page script (the page's policy does not apply to it):
# every Content-Security-Policy violation of the page, for `csp_violations()`.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile);
});
"""


@dataclass(frozen=True)
class BrowserBinaries:
    chromium: str
    chromedriver: str


def find_binaries() -> BrowserBinaries | None:
    """Debian's Chromium and its driver (CHROMIUM_BIN / CHROMEDRIVER_BIN override), or None."""
    chromium = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver")
    if not chromium or not chromedriver:
        return None
    return BrowserBinaries(chromium=chromium, chromedriver=chromedriver)


def start_chromium(binaries: BrowserBinaries, *, width: int = DESKTOP, height: int | None = None):
    """A headless Chromium window of `width` x `height` CSS pixels, speaking pt-BR, recording what the
    Content-Security-Policy blocks (`csp_violations`)."""
    from selenium import webdriver  # noqa: PLC0415 - selenium is a test-only dependency
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    options = webdriver.ChromeOptions()
    options.binary_location = binaries.chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",  # containers give /dev/shm 64 MB: Chromium would crash on big pages
        "--disable-gpu",
        "--lang=pt-BR",
        f"--window-size={width},{height or HEIGHTS.get(width, 900)}",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "pt-BR,pt"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=binaries.chromedriver), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    # --window-size sets the outer window; headless has no chrome around the page, but make the
    # viewport exact so that a "390 px wide" test is 390 CSS pixels wide.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height or HEIGHTS.get(width, 900), "deviceScaleFactor": 1, "mobile": width < 600},
    )
    return driver


def csp_violations(driver) -> list[str]:
    """What the Content-Security-Policy blocked on the current page (recorded events and console)."""
    events = driver.execute_script("return window.__cspViolations || []")
    console = [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]
    return events + console


def wait_until(
    predicate: Callable[[], object], *, timeout: float = WAIT_SECONDS, interval: float = 0.2, what: str = ""
):
    """Poll `predicate` until it returns something truthy (returned); AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # noqa: BLE001 - a stale element or a page mid-swap: try again
            last_error = exc
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(
        f"waited {timeout:.0f} s for {what or 'a condition'}" + (f" ({last_error!r})" if last_error else "")
    )
