"""A real headless Chromium drives the Space: upload, Correct, results, screenshots.

Screenshots of each state go to artifacts/: the page as it opens
(space_initial.png), a run in progress with its progress bar
(space_running.png, waiting for the one-run lock, then, when a model batch
can be caught, space_running_model.png), the results (space_screenshot.png)
and errors (space_error_screenshot.png, space_truth_error_screenshot.png).

Uses Debian's `chromium` and `chromium-driver` through Selenium (no browser
download). The page does the same on every Keras backend, so it runs under
one backend only (tensorflow, or whatever `DCZOO_SPACE_BROWSER_BACKEND` says).
"""

import os
import re
import shutil
import time

import keras
import pytest

from tests.space.conftest import ARTIFACTS, require_space_packages, serve

require_space_packages()

SCREENSHOT = ARTIFACTS / "space_screenshot.png"
INITIAL_SCREENSHOT = ARTIFACTS / "space_initial.png"
RUNNING_SCREENSHOT = ARTIFACTS / "space_running.png"
RUNNING_MODEL_SCREENSHOT = ARTIFACTS / "space_running_model.png"
ERROR_SCREENSHOT = ARTIFACTS / "space_error_screenshot.png"
TRUTH_ERROR_SCREENSHOT = ARTIFACTS / "space_truth_error_screenshot.png"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
BROWSER_BACKEND = os.environ.get("DCZOO_SPACE_BROWSER_BACKEND", "tensorflow")

IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing_browser():
    """Why the browser test cannot run here, or None."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        return "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium (pip install selenium)"
    return None


if keras.backend.backend() != BROWSER_BACKEND:
    pytest.skip(f"the page does not depend on the Keras backend; the browser test runs under "
                f"{BROWSER_BACKEND} only", allow_module_level=True)
if _missing_browser():
    if IN_CI:  # CI installs them (.ci/run): a skip there would hide a broken install step
        raise RuntimeError(f"browser test in CI: {_missing_browser()}")
    pytest.skip(_missing_browser(), allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium_profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER),
                              options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page_url(space_app, test_presets, tmp_path_factory):
    # The default preset stays selected: the page runs the bundled student_4layer.
    served = serve(space_app, test_presets, tmp_path_factory.mktemp("browser_outputs"))
    yield served.url
    served.demo.close()


def open_page(driver, url):
    driver.get(url)
    WebDriverWait(driver, 60).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#run-button")))


def upload(driver, elem_id, path):
    field = WebDriverWait(driver, 30).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, f"#{elem_id} input[type=file]")))
    field.send_keys(str(path))


def status_text(driver):
    return driver.find_element(By.CSS_SELECTOR, "#status").text


def set_min_quality(driver, value):
    driver.find_element(By.CSS_SELECTOR, "#advanced button.label-wrap").click()
    box = WebDriverWait(driver, 10).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "#min-quality input[type=number]")))
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), Keys.TAB)
    slider = driver.find_element(By.CSS_SELECTOR, "#min-quality input[type=range]")
    WebDriverWait(driver, 10).until(lambda d: slider.get_attribute("value") == str(value))


def full_page_screenshot(driver, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script(
        "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
    driver.set_window_size(1400, min(max(height, 1000), 6000))
    driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.5)
    assert driver.save_screenshot(str(path))


def screenshot(driver, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(path))


def test_upload_correct_and_screenshot(browser, page_url, example):
    import space_jobs

    browser.set_window_size(1400, 1000)
    open_page(browser, page_url)
    full_page_screenshot(browser, INITIAL_SCREENSHOT)
    upload(browser, "subreads-file", example / "subreads_to_ccs.bam")
    upload(browser, "ccs-file", example / "ccs.bam")
    upload(browser, "truth-file", example / "truth_to_ccs.bam")
    WebDriverWait(browser, 60).until(lambda d: "truth_to_ccs.bam has the true sequences of 20" in status_text(d))
    # The status line renders its markdown: "Click **Correct**." shows a bold word.
    assert "Ready: 20 ZMWs" in status_text(browser) and "**" not in status_text(browser)
    assert browser.find_element(By.CSS_SELECTOR, "#status b").text == "Correct"
    set_min_quality(browser, 0)
    browser.set_window_size(1400, 1000)
    with space_jobs.RUN_LOCK:  # as if another visitor's run were going on: the run waits
        browser.find_element(By.CSS_SELECTOR, "#run-button").click()
        WebDriverWait(browser, 60).until(lambda d: "waiting for the run before yours" in status_text(d))
        WebDriverWait(browser, 30).until(lambda d: "Waiting for the run before yours" in d.find_element(
            By.TAG_NAME, "body").text)  # gr.Progress's bar and its description
        browser.execute_script("window.scrollTo(0, 0)")
        screenshot(browser, RUNNING_SCREENSHOT)
    deadline = time.time() + 120
    while "windows/s" not in browser.find_element(By.CSS_SELECTOR, "#numbers").text:
        assert time.time() < deadline, "the run did not finish"
        if not RUNNING_MODEL_SCREENSHOT.exists() and "model batches" in status_text(browser):
            screenshot(browser, RUNNING_MODEL_SCREENSHOT)  # only when a batch can be caught
        time.sleep(0.05)
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(
        By.CSS_SELECTOR, "#quality-plot img, #quality-histogram img, #window-plot img")) == 3)
    numbers = browser.find_element(By.CSS_SELECTOR, "#numbers").text
    assert "20 of 20 reads written" in numbers and "Identity to the true sequence (20 reads)" in numbers
    assert "Yield at Q20" in numbers and "Yield at Q30" in numbers and "Yield at empirical Q30" in numbers
    assert browser.find_elements(By.CSS_SELECTOR, "#numbers table")  # the yield table, rendered
    table = browser.find_element(By.CSS_SELECTOR, "#reads-table").text
    assert "m64001_000020_000000/4194304/ccs" in table
    downloads = browser.find_element(By.CSS_SELECTOR, "#downloads").text.replace("\n", "")
    assert "corrected.fastq" in downloads and "corrected.bam" in downloads
    status = status_text(browser)
    assert "Done" in status or "instead" in status
    full_page_screenshot(browser, SCREENSHOT)
    assert SCREENSHOT.stat().st_size > 50_000


def test_text_file_upload_shows_the_error(browser, page_url, text_file, example):
    browser.set_window_size(1400, 1000)
    open_page(browser, page_url)
    upload(browser, "subreads-file", text_file)
    WebDriverWait(browser, 60).until(lambda d: "not a BAM file" in status_text(d))
    assert "notes.txt is not a BAM file" in status_text(browser)
    upload(browser, "ccs-file", example / "ccs.bam")
    browser.find_element(By.CSS_SELECTOR, "#run-button").click()
    time.sleep(1)
    WebDriverWait(browser, 60).until(lambda d: "not a BAM file" in status_text(d))
    assert "Traceback" not in browser.find_element(By.TAG_NAME, "body").text
    full_page_screenshot(browser, ERROR_SCREENSHOT)


def test_bad_truth_file_shows_the_error(browser, page_url, text_file, example):
    browser.set_window_size(1400, 1000)
    open_page(browser, page_url)
    upload(browser, "subreads-file", example / "subreads_to_ccs.bam")
    upload(browser, "ccs-file", example / "ccs.bam")
    upload(browser, "truth-file", text_file)
    WebDriverWait(browser, 60).until(lambda d: "cannot serve as the truth" in status_text(d))
    assert "notes.txt cannot serve as the truth: it looks like a text file" in status_text(browser)
    browser.find_element(By.CSS_SELECTOR, "#run-button").click()
    time.sleep(1)
    WebDriverWait(browser, 60).until(lambda d: "cannot serve as the truth" in status_text(d))
    assert "Error:" in status_text(browser)
    assert not browser.find_element(By.CSS_SELECTOR, "#numbers").text.strip()
    full_page_screenshot(browser, TRUTH_ERROR_SCREENSHOT)


def test_one_click_on_the_bundled_example_runs_it(browser, page_url):
    browser.set_window_size(1400, 1000)
    open_page(browser, page_url)
    example_row = WebDriverWait(browser, 30).until(EC.element_to_be_clickable(
        (By.XPATH, "//*[contains(text(), 'Bundled example')]/following::table//tbody//tr[1]")))
    example_row.click()
    WebDriverWait(browser, 120).until(
        lambda d: "windows/s" in d.find_element(By.CSS_SELECTOR, "#numbers").text)
    numbers = browser.find_element(By.CSS_SELECTOR, "#numbers").text
    written = int(re.search(r"(\d+) of 20 reads written", numbers).group(1))
    # The example row fills the truth upload too.
    assert "Truth: truth_to_ccs.bam" in numbers and "Identity to the true sequence (20 reads)" in numbers
    table = browser.find_element(By.CSS_SELECTOR, "#reads-table").text
    assert table.count("m64001_000020_000000/") == 20
    # Default minimum quality Q20: reads below it stay in the table, marked.
    assert table.count("below Q20") == 20 - written
    if written == 0:
        assert "No read reached Q20" in status_text(browser)
