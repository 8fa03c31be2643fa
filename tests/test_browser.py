"""The app in a real browser: `streamlit run` on a free localhost port, Debian's chromium driven by
Playwright. Loads the realistic example, runs leximin and legacy on the Compare page, sees the
chart, draws on the Lottery page and downloads the selected panel, then starts a long run on the
Compare page, presses Stop and sees the page say so within 2 s. Screenshots of every page go to
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
WIDTH = 1400  # the width of issue #18's findings: nothing may be cut off at it
# every page, with what its last element shows once the page is fully drawn: a heading, a button or a text
PAGES = {"Home": ("heading", "The pool per value"), "Pool and quotas": ("text", "Import scenarios (JSON)"),
         "Compare": ("button", "Volunteers (CSV)"), "Lottery": ("button", "Audit record (JSON)"),
         "Intersections": ("button", "Cells of this table (CSV)"),
         "End to end": ("text", "to run the population"), "Classroom": ("text", "Before the first pick")}
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


def upload_both(page, uploaders, files: list[tuple[str, bytes]]) -> None:
    """Put one file into each of the first uploaders; a rerun started by one upload can clear the
    other uploader, so any that lost its file gets it again (at most three rounds)."""
    for _ in range(3):
        missing = [(number, name, content) for number, (name, content) in enumerate(files)
                   if uploaders.nth(number).get_by_text(name).count() == 0]
        if not missing:
            return
        for number, name, content in missing:
            upload_into(uploaders.nth(number), name, content)
            wait_idle(page)


def upload_into(uploader, name: str, content: bytes, attempts: int = 3) -> None:
    """Put a file into one file uploader and wait until it shows the file's name. A file set while
    the previous upload's rerun is still going can be dropped by the page, so it is set again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        uploader.locator('input[type="file"]').first.set_input_files(
            files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
        try:
            uploader.get_by_text(name).first.wait_for(timeout=30_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise


def hidden_choices(page) -> list[str]:
    """Names of the chosen options of the page's first multiselect that are not wholly visible
    (cut off by the picker's right edge, where its clear and open icons sit)."""
    return page.evaluate("""() => {
        const picker = document.querySelector('[data-testid="stMultiSelect"]');
        if (!picker) return [];
        const box = picker.querySelector('[data-baseweb="select"]') || picker;
        const edge = box.getBoundingClientRect().right - 56;
        return [...picker.querySelectorAll('[data-tag], [data-baseweb="tag"]')]
            .filter(tag => tag.getBoundingClientRect().right > edge || tag.getBoundingClientRect().width === 0)
            .map(tag => tag.innerText.trim());
    }""")


def run_on_compare(page, algorithms: list[str]) -> None:
    """On the Compare page: choose exactly `algorithms`, press Run and wait for the charts."""
    chooser = page.locator('[data-testid="stMultiSelect"]').first
    chooser.get_by_role("button", name="Clear all").click()
    for name in algorithms:
        chooser.locator("input").fill(name)
        chooser.locator("input").press("Enter")
    page.keyboard.press("Escape")
    wait_idle(page)
    page.get_by_role("button", name="Run", exact=True).click()
    # the run goes on in the background: results appear as each algorithm ends, then this line
    page.get_by_text(f"Ran {len(algorithms)} algorithm(s)").first.wait_for(timeout=RUN_TIMEOUT_MS)
    page.get_by_text("Who gets which chance", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    wait_idle(page)


def sidebar_text(page, waiting_for: str = "Pool:") -> str:
    """The sidebar's text once it shows `waiting_for` (the note on the loaded pool is drawn after the links)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(waiting_for).first.wait_for()
    return sidebar.inner_text()


def load_example_in_browser(page, name: str) -> None:
    """Pick a bundled example on Home and load it."""
    open_page(page, "Home")
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=name).first.click()
    wait_idle(page)
    page.get_by_role("button", name=f"Load {name}").click()
    wait_idle(page)
    page.get_by_text(f"Loaded: example “{name}”").wait_for()


def overflowing_tables(page) -> list[str]:
    """Header texts of the dataframes on the page whose columns do not fit their width (hidden to the right)."""
    return page.evaluate("""() => {
        const headings = [...document.querySelectorAll('h1, h2, h3, h4')];
        const under = frame => headings.filter(h => h.compareDocumentPosition(frame) & Node.DOCUMENT_POSITION_FOLLOWING)
                                       .map(h => h.innerText.trim()).pop() || '?';
        return [...document.querySelectorAll('[data-testid="stDataFrame"]')]
            .map(frame => [frame, frame.querySelector('.dvn-scroller')])
            .filter(([frame, scroller]) => scroller && scroller.scrollWidth > scroller.clientWidth + 2)
            .map(([frame, scroller]) => `table under "${under(frame)}" (${scroller.scrollWidth} > ${scroller.clientWidth} px)`);
    }""")


def test_workbench_in_a_browser(app_url):
    from playwright.sync_api import expect, sync_playwright

    from ui.algorithms import available

    missing = [name for name in ALGORITHMS if name not in available()]
    assert not missing, f"algorithms not available in this installation: {missing}"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(60_000)
        try:
            # Home: load the realistic example
            page.goto(app_url)
            page.get_by_text("Sortition workbench", exact=True).first.wait_for()
            wait_idle(page)
            # the first visit loads the realistic example, and the sidebar says so
            page.get_by_text(f"Loaded: example “{EXAMPLE}”").wait_for()
            assert EXAMPLE in sidebar_text(page)
            assert page.get_by_role("button", name="Load this example").count() == 0
            assert_no_exception(page, "Home")
            screenshot(page, "1_home")

            # A broken upload is reported in words (file, row, column), and the loaded example stays
            uploaders = page.locator('[data-testid="stFileUploader"]')
            upload_both(page, uploaders, [("broken_pool.csv", b"id,gender\na,f\nb,\nc,m\n"),
                                          ("quotas.csv", b"category,feature,min,max\ngender,f,1,1\ngender,m,1,1\n")])
            expect(page.get_by_role("button", name="Load uploaded files")).to_be_enabled(timeout=60_000)
            page.get_by_role("button", name="Load uploaded files").click()
            page.get_by_text("broken_pool.csv, row 3, column 'gender': empty cell").wait_for()
            assert_no_exception(page, "Home after a broken upload")
            page.get_by_text(f"Loaded: example “{EXAMPLE}”").wait_for()
            screenshot(page, "1_home_broken_upload")

            # a good upload (the example's own files under other names): Home and the sidebar name it
            folder = ROOT / "examples" / EXAMPLE
            # the quota file carries a drop-out rate for one value, which the Lottery page's reserve list shows
            quota_lines = (folder / "quotas.csv").read_text(encoding="utf-8").splitlines()
            quota_lines = [quota_lines[0] + ",dropout", quota_lines[1] + ",25%", *(line + "," for line in quota_lines[2:])]
            upload_both(page, uploaders, [("my_pool.csv", (folder / "pool.csv").read_bytes()),
                                          ("my_quotas.csv", "\n".join(quota_lines).encode())])
            wait_idle(page)
            expect(page.get_by_role("button", name="Load uploaded files")).to_be_enabled(timeout=60_000)
            page.get_by_role("button", name="Load uploaded files").click()
            page.get_by_text("Loaded: my_pool.csv + my_quotas.csv").wait_for()
            wait_idle(page)
            assert "my_pool.csv + my_quotas.csv" in sidebar_text(page, "my_pool.csv")
            assert_no_exception(page, "Home after a good upload")

            # Pool and quotas: the feasibility verdict and the quota table
            open_page(page, "Pool and quotas")
            page.get_by_text(f"Some panel of {PANEL_SIZE} meets every quota.").wait_for()
            assert_no_exception(page, "Pool and quotas")
            screenshot(page, "2_pool_and_quotas")

            # Compare: exactly leximin and legacy
            open_page(page, "Compare")
            run_on_compare(page, ALGORITHMS)
            assert_no_exception(page, "Compare")
            # the allocation chart and one expected-seats chart per category, each drawn (canvas or svg)
            page.wait_for_function(
                """n => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                        .filter(c => c.querySelector('canvas, svg')).length >= n""", arg=1 + CATEGORIES)
            screenshot(page, "3_compare")

            # Lottery: draw with a generated seed and download the selected panel
            open_page(page, "Lottery")
            page.get_by_text("Commitment to publish").wait_for()
            page.get_by_role("button", name="Draw the panel").click()
            page.get_by_text("drew ticket").wait_for()
            wait_idle(page)
            assert_no_exception(page, "Lottery")
            page.get_by_text("Drop-out rate per value (from the quota file)").wait_for()
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Selected panel (CSV)").click()
            download = download_info.value
            target = ARTIFACTS / "selected.csv"
            download.save_as(target)
            wait_idle(page)  # the download buttons do not rerun the page (on_click='ignore'); this checks it stays idle
            with page.expect_download() as tickets_info:  # built only on the click (a callable)
                page.get_by_role("button", name="Ticket table (CSV)").click()
            ticket_rows = tickets_info.value.path().read_text(encoding="utf-8").splitlines()
            screenshot(page, "4_lottery")

            # Compare again: a long run (Diversimax with a 120 s limit) responds to Stop within 2 s
            open_page(page, "Compare")
            chooser = page.locator('[data-testid="stMultiSelect"]').first
            chooser.get_by_role("button", name="Clear all").click()
            chooser.locator("input").fill("diversimax")
            chooser.locator("input").press("Enter")
            page.keyboard.press("Escape")
            wait_idle(page)
            limit = page.get_by_role("spinbutton", name="Diversimax limit (s)")
            limit.fill("120")
            limit.press("Enter")
            wait_idle(page)
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text("diversimax: running").wait_for(timeout=60_000)
            page.get_by_text("elapsed").first.wait_for()
            page.get_by_role("button", name="Stop").click()
            page.get_by_text("Stopped (stopped by you)").first.wait_for(timeout=2_000)
            # and the run really ends: the solver is interrupted, nothing computes on
            page.get_by_text("diversimax: stopped").wait_for(timeout=30_000)
            page.get_by_role("button", name="Run", exact=True).wait_for()
            assert_no_exception(page, "Compare after Stop")
            screenshot(page, "5_compare_stopped")
        finally:
            browser.close()

    assert ticket_rows[0] == "ticket,volunteers" and len(ticket_rows) == 1 + 1000  # the page's default M
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == PANEL_SIZE
    assert len({row["id"] for row in rows}) == PANEL_SIZE


@pytest.mark.parametrize("example", ["climate_300", "large_2000"])
def test_every_page_fits_1400_px(app_url, example):
    """Screenshots of every page at 1400 px (test-artifacts/<example>_<n>_<page>.png) after a leximin run,
    the sidebar naming the loaded pool, and no table whose columns run off its right edge."""
    from playwright.sync_api import sync_playwright

    cut_off: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.set_default_timeout(60_000)
        try:
            page.goto(app_url)
            page.get_by_text("Loaded: example", exact=False).first.wait_for()
            wait_idle(page)
            if example != EXAMPLE:
                load_example_in_browser(page, example)
            assert example in sidebar_text(page), sidebar_text(page)
            for number, (label, last_element) in enumerate(PAGES.items()):
                open_page(page, label)
                if label in ("Compare", "Classroom"):  # the algorithm pickers show every chosen name
                    page.locator('[data-testid="stMultiSelect"]').first.wait_for()
                    hidden = hidden_choices(page)
                    assert not hidden, f"{label}: the algorithm picker hides {hidden}"
                if label == "Compare":
                    run_on_compare(page, ["leximin"])
                if label == "End to end":
                    page.get_by_role("button", name="Estimate").click()
                if label == "Lottery":
                    page.get_by_role("button", name="Draw the panel").click()
                    page.get_by_text("drew ticket").wait_for(timeout=RUN_TIMEOUT_MS)
                kind, text = last_element
                last = (page.locator("h1, h2, h3", has_text=text) if kind == "heading" else
                        page.get_by_role("button", name=text) if kind == "button" else page.get_by_text(text))
                last.first.wait_for(timeout=RUN_TIMEOUT_MS)
                wait_idle(page)
                assert_no_exception(page, f"{label} with {example}")
                assert example in sidebar_text(page), f"{label}: {sidebar_text(page)}"
                screenshot(page, f"{example}_{number}_{label.replace(' ', '_').lower()}")
                overflow = overflowing_tables(page)
                if overflow:
                    cut_off[label] = overflow
        finally:
            browser.close()
    assert not cut_off, f"tables cut off at {WIDTH} px with {example}: {cut_off}"


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
            page.get_by_text("Before the first pick").first.wait_for()  # the step slider starts at the first step
            page.wait_for_timeout(1500)  # let any image the page would load start loading
            screenshot(page, "hostile_classroom")
            assert page.locator("main img[src*='127.0.0.1:9'], main a[href*='127.0.0.1:9']").count() == 0
        finally:
            browser.close()
    assert outside == [], f"the browser requested addresses outside the app: {outside}"
