"""The app in a real browser: `streamlit run` on a free localhost port, Debian's chromium driven by
Playwright. Loads the realistic example, runs leximin and legacy on the Compare page, sees the
chart, draws on the Lottery page and downloads the selected panel. Screenshots of every page go to
test-artifacts/. Fails on any exception Streamlit shows in the page."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ALGORITHMS = ["leximin", "legacy"]
EXAMPLE = "climate_300"
PANEL_SIZE = 30
CATEGORIES = 6
STARTUP_SECONDS = 60
RUN_TIMEOUT_MS = 600_000  # the two algorithms on 300 volunteers, on a shared 2-core machine

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                                "(scripts/test.sh installs it with apt-get)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    """The workbench served by `streamlit run` (headless, no usage statistics, full error details)."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--client.showErrorDetails", "full", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {ARTIFACTS / 'streamlit.log'}")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def assert_no_exception(page, where: str) -> None:
    shown = page.locator('[data-testid="stException"]')
    if shown.count():
        raise AssertionError(f"{where}: the page shows an exception: {shown.first.inner_text()[:2000]}")


def wait_idle(page) -> None:
    """Wait until the script run has finished (Streamlit's status widget leaves 'running')."""
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=RUN_TIMEOUT_MS)


def open_page(page, label: str) -> None:
    """Navigate with the sidebar (keeps the session, unlike typing a URL)."""
    page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a', has_text=label).first.click()
    wait_idle(page)


def screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the viewport is stretched to its height."""
    size = page.viewport_size
    height = size["height"]
    for _ in range(6):  # stretching lets lazily drawn charts appear, which can make the page taller
        needed = page.evaluate("""() => Math.max(document.body.scrollHeight,
            ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stMainBlockContainer"], section')]
                .map(e => e.scrollHeight))""")
        if needed <= height:
            break
        height = min(int(needed) + 40, 12000)
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_timeout(1200)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)


def test_workbench_in_a_browser(app_url):
    from playwright.sync_api import sync_playwright

    from ui.algorithms import available

    missing = [name for name in ALGORITHMS if name not in available()]
    assert not missing, f"algorithms not available in this installation: {missing}"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(60_000)
        try:
            # Home: load the realistic example
            page.goto(app_url)
            page.get_by_text("Sortition workbench", exact=True).first.wait_for()
            wait_idle(page)
            page.get_by_role("button", name="Load this example").click()
            wait_idle(page)
            page.get_by_text(f"Loaded: example “{EXAMPLE}”").wait_for()
            assert_no_exception(page, "Home")
            screenshot(page, "1_home")

            # A broken upload is reported in words (file, row, column), and the loaded example stays
            uploads = page.locator('[data-testid="stFileUploader"] input[type="file"]')
            uploads.nth(0).set_input_files(files=[{"name": "broken_pool.csv", "mimeType": "text/csv",
                                                   "buffer": b"id,gender\na,f\nb,\nc,m\n"}])
            uploads.nth(1).set_input_files(files=[{"name": "quotas.csv", "mimeType": "text/csv",
                                                   "buffer": b"category,feature,min,max\ngender,f,1,1\ngender,m,1,1\n"}])
            wait_idle(page)
            page.get_by_role("button", name="Load uploaded files").click()
            page.get_by_text("broken_pool.csv, row 3, column 'gender': empty cell").wait_for()
            assert_no_exception(page, "Home after a broken upload")
            page.get_by_text(f"Loaded: example “{EXAMPLE}”").wait_for()
            screenshot(page, "1_home_broken_upload")

            # Pool and quotas: the feasibility verdict and the quota table
            open_page(page, "Pool and quotas")
            page.get_by_text(f"Some panel of {PANEL_SIZE} meets every quota.").wait_for()
            assert_no_exception(page, "Pool and quotas")
            screenshot(page, "2_pool_and_quotas")

            # Compare: exactly leximin and legacy
            open_page(page, "Compare")
            chooser = page.locator('[data-testid="stMultiSelect"]').first
            chooser.get_by_role("button", name="Clear all").click()
            for name in ALGORITHMS:
                chooser.locator("input").fill(name)
                chooser.locator("input").press("Enter")
            page.keyboard.press("Escape")
            wait_idle(page)
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text("Who gets which chance").wait_for(timeout=RUN_TIMEOUT_MS)
            wait_idle(page)
            assert_no_exception(page, "Compare")
            # the allocation chart and one expected-seats chart per category, each drawn (canvas or svg)
            page.wait_for_function(
                """n => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                        .filter(c => c.querySelector('canvas, svg')).length >= n""", arg=1 + CATEGORIES)
            page.get_by_text(f"Ran {len(ALGORITHMS)} algorithm(s)").wait_for()
            screenshot(page, "3_compare")

            # Lottery: draw with a generated seed and download the selected panel
            open_page(page, "Lottery")
            page.get_by_text("Commitment to publish").wait_for()
            page.get_by_role("button", name="Draw the panel").click()
            page.get_by_text("drew ticket").wait_for()
            wait_idle(page)
            assert_no_exception(page, "Lottery")
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Selected panel (CSV)").click()
            download = download_info.value
            target = ARTIFACTS / "selected.csv"
            download.save_as(target)
            with page.expect_download() as tickets_info:  # built only on the click (a callable)
                page.get_by_role("button", name="Ticket table (CSV)").click()
            ticket_rows = tickets_info.value.path().read_text(encoding="utf-8").splitlines()
            screenshot(page, "4_lottery")
        finally:
            browser.close()

    assert ticket_rows[0] == "ticket,volunteers" and len(ticket_rows) == 1 + 1000  # the page's default M
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == PANEL_SIZE
    assert len({row["id"] for row in rows}) == PANEL_SIZE


def test_hostile_names_fetch_nothing_in_a_browser(app_url):
    """A pool whose ids, values, category names and file names hold Markdown images, links and HTML:
    on Home, Pool and quotas and Classroom the browser requests no address outside the app."""
    from playwright.sync_api import sync_playwright

    from tests.hostile_files import POOL_NAME, QUOTAS_NAME, K, hostile_files

    pool, quotas = hostile_files()
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(60_000)
        # Streamlit itself fetches the Material page icons (favicons) from Google's font server
        own = (app_url, "data:", "blob:", "https://fonts.gstatic.com/s/i/short-term/release/materialsymbols")
        page.on("request", lambda request: None if request.url.startswith(own) else outside.append(request.url))
        try:
            page.goto(app_url)
            page.get_by_text("Sortition workbench", exact=True).first.wait_for()
            wait_idle(page)
            uploads = page.locator('[data-testid="stFileUploader"] input[type="file"]')
            uploads.nth(0).set_input_files(files=[{"name": POOL_NAME, "mimeType": "text/csv", "buffer": pool}])
            uploads.nth(1).set_input_files(files=[{"name": QUOTAS_NAME, "mimeType": "text/csv", "buffer": quotas}])
            page.wait_for_function("""() => document.querySelectorAll('[data-testid="stFileChipName"]').length >= 2
                && !document.querySelector('[data-testid="stFileChipIconSpinner"]')""")  # both uploads done
            wait_idle(page)
            page.get_by_label("Panel size k").fill(str(K))
            page.get_by_label("Panel size k").press("Enter")
            wait_idle(page)
            page.get_by_role("button", name="Load uploaded files").click()
            loaded = page.get_by_text("Loaded: pool")
            loaded.wait_for()  # shown literally (autolinks broken by invisible word joiners)
            assert loaded.inner_text().replace("\u2060", "") == f"Loaded: {POOL_NAME} + {QUOTAS_NAME}"
            assert_no_exception(page, "Home with a hostile pool")
            for label in ("Pool and quotas", "Classroom"):
                open_page(page, label)
                assert_no_exception(page, f"{label} with a hostile pool")
            page.get_by_text("Final panel after").wait_for()
            page.wait_for_timeout(1500)  # let any image the page would load start loading
            screenshot(page, "hostile_classroom")
            assert page.locator("main img[src*='127.0.0.1:9'], main a[href*='127.0.0.1:9']").count() == 0
        finally:
            browser.close()
    assert outside == [], f"the browser requested addresses outside the app: {outside}"
