"""A real headless Chromium drives the Space: upload, Correct, results, screenshot.

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
ERROR_SCREENSHOT = ARTIFACTS / "space_error_screenshot.png"
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
    # The default preset stays student_4layer: until its weights are bundled the
    # page falls back to a preset with weights and says so.
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


def test_upload_correct_and_screenshot(browser, page_url, example):
    open_page(browser, page_url)
    upload(browser, "subreads-file", example / "subreads_to_ccs.bam")
    upload(browser, "ccs-file", example / "ccs.bam")
    WebDriverWait(browser, 60).until(lambda d: "Ready: 20 ZMWs" in status_text(d))
    set_min_quality(browser, 0)
    browser.find_element(By.CSS_SELECTOR, "#run-button").click()
    WebDriverWait(browser, 120).until(
        lambda d: "windows/s" in d.find_element(By.CSS_SELECTOR, "#numbers").text)
    WebDriverWait(browser, 30).until(lambda d: len(
        d.find_elements(By.CSS_SELECTOR, "#quality-plot img, #window-plot img")) == 2)
    numbers = browser.find_element(By.CSS_SELECTOR, "#numbers").text
    assert "20 of 20 reads written" in numbers and "Identity to the true sequence" in numbers
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
    table = browser.find_element(By.CSS_SELECTOR, "#reads-table").text
    assert table.count("m64001_000020_000000/") == 20
    # Default minimum quality Q20: reads below it stay in the table, marked.
    assert table.count("below Q20") == 20 - written
    if written == 0:
        assert "No read reached Q20" in status_text(browser)
