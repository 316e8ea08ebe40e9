"""Browser test harness: a real `falaj serve`, headless Chromium through Selenium, and failure captures.

Run with `python -m unittest discover -s Tests/Browser -v` from the repository root, using the Python in
.venv-browser (scripts/browser-venv.sh creates it; `make test-browser` does all of it).

Environment:
    FALAJ_BIN                      the falaj binary (default .build/debug/falaj in the repository)
    FALAJ_BROWSER_FAILURES         where failure screenshots, page sources and server logs go
                                   (default /tmp/falaj-browser-failures)
    FALAJ_BROWSER_START_TIMEOUT    seconds to wait for `Falaj is running at URL` (default 120)
    CHROMIUM_BIN, CHROMEDRIVER_BIN the browser and its driver (default /usr/bin/chromium, /usr/bin/chromedriver)
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass

# Never let Selenium Manager look for (or download) a browser or driver: there is no internet, and the
# paths below are given explicitly. Set before Selenium is imported.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FALAJ_BIN = os.environ.get("FALAJ_BIN", os.path.join(REPO_ROOT, ".build/debug/falaj"))
CHROMIUM_BIN = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER_BIN = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
FAILURES_DIR = os.environ.get("FALAJ_BROWSER_FAILURES", "/tmp/falaj-browser-failures")
START_TIMEOUT = float(os.environ.get("FALAJ_BROWSER_START_TIMEOUT", "120"))
SESSION_COOKIE = "falaj_session"
STRONG_PASSWORD = "correct-horse-battery-staple-42"
WAIT_SECONDS = 15


class FalajServer:
    """A `falaj serve --port 0` child process with a fresh data directory (its own embedded Postgres)."""

    _RUNNING = re.compile(r"Falaj is running at (\S+)")

    def __init__(self, binary=FALAJ_BIN, extra_args=()):
        self.binary = binary
        self.extra_args = list(extra_args)
        # Not created here: falaj creates it, with modes the embedded Postgres (run as the `postgres`
        # user when we are root) can enter, as the Swift tests' FalajProcess does.
        self.data_dir = os.path.join(tempfile.gettempdir(), f"falaj-browser-{uuid.uuid4().hex[:8]}")
        self.base_url = ""
        self.process = None
        self._lines = []
        self._lock = threading.Lock()
        self._started = threading.Event()

    @property
    def output(self):
        """Everything the process printed so far (stdout and stderr together)."""
        with self._lock:
            return "".join(self._lines)

    def start(self, timeout=START_TIMEOUT):
        """Starts the process and waits (bounded) for its `Falaj is running at URL` line."""
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(
                f"falaj binary not found at {self.binary}; build it with `swift build --product falaj` "
                "or set FALAJ_BIN"
            )
        self.process = subprocess.Popen(
            [self.binary, "serve", "--port", "0", "--data-dir", self.data_dir] + self.extra_args,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        threading.Thread(target=self._read_output, name="falaj-output", daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._started.wait(0.1):
                return self
            if self.process.poll() is not None:
                break
        status = self.process.poll()
        self.stop()
        reason = f"exited with status {status}" if status is not None else f"did not start within {timeout:.0f}s"
        raise RuntimeError(f"falaj serve {reason}; its output:\n{self.output}")

    def _read_output(self):
        # Drains the pipe for the whole life of the process so that the server never blocks on a full pipe.
        for line in self.process.stdout:
            with self._lock:
                self._lines.append(line)
            match = self._RUNNING.search(line)
            if match and not self._started.is_set():
                self.base_url = match.group(1).rstrip("/")
                self._started.set()

    def stop(self, timeout=30):
        """Sends SIGTERM, waits (bounded; SIGKILL after `timeout`) and removes the data directory.

        Returns the exit status, or None when the process had to be killed."""
        status = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
            try:
                status = self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return status


def make_driver():
    """Headless Chromium from Debian's packages (never a Selenium Manager download)."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM_BIN
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER_BIN), options=options)


@dataclass(frozen=True)
class Account:
    """An organisation and its owner, as `BrowserTestCase.sign_up` created them."""

    organisation: str
    region: str
    email: str
    password: str


def unique_email(label):
    """An e-mail address no other test (or earlier run) uses."""
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class BrowserTestCase(unittest.TestCase):
    """One `falaj serve` per test class, a fresh browser per test (more through `new_driver`).

    On a failure or error, every browser the test opened leaves a screenshot and its page source in
    FAILURES_DIR, next to the server's output, and the paths are printed."""

    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = FalajServer().start()

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            status = cls.server.stop()
            if status != 0:
                # -15 means SIGTERM killed it before its handlers were installed: its Postgres may be orphaned.
                shown = "killed after 30s" if status is None else f"status {status}"
                print(f"\nfalaj serve did not exit cleanly on SIGTERM ({shown})", file=sys.stderr)

    def run(self, result=None):
        # Kept so tearDown can tell whether this test failed (Python 3.11+ reports a failure to the result
        # as soon as the test method raises, before tearDown runs).
        self._result = result
        return super().run(result)

    def setUp(self):
        self._drivers = []
        self.driver = self.new_driver()

    def tearDown(self):
        try:
            if self._failed():
                self._capture_failure()
        finally:
            for driver in self._drivers:
                try:
                    driver.quit()
                except Exception:  # a browser that already died must not hide the test's own failure
                    pass

    def new_driver(self):
        """Another browser (its own cookies), closed after the test."""
        driver = make_driver()
        self._drivers.append(driver)
        return driver

    # MARK: navigation and forms

    def screenshot(self, name, selector=None, height=1400):
        """Saves a PNG of the page as <FALAJ_SCREENSHOTS>/<name>.png when that variable is set (for looking at pages),
        scrolled to `selector` when given."""
        folder = os.environ.get("FALAJ_SCREENSHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.driver.set_window_size(1280, height)
            if selector:
                self.driver.execute_script("document.querySelector(arguments[0]).scrollIntoView()", selector)
            self.driver.save_screenshot(os.path.join(folder, name + ".png"))

    def csp_violations(self):
        """The browser's Content-Security-Policy violation messages so far (none when the driver has no log)."""
        try:
            entries = self.driver.get_log("browser")
        except Exception:  # some drivers do not expose the log; nothing to check then
            return []
        return [e["message"] for e in entries if "Content Security Policy" in e.get("message", "")]

    def url(self, path):
        return self.server.base_url + path

    def open(self, path, driver=None):
        """Loads `path` (relative to the server) or an absolute URL."""
        driver = driver or self.driver
        driver.get(path if "://" in path else self.url(path))

    def path(self, driver=None):
        return urllib.parse.urlsplit((driver or self.driver).current_url).path

    def find(self, selector, what, driver=None):
        """The element matching CSS `selector`, or a failure naming `what` and describing the page."""
        driver = driver or self.driver
        elements = driver.find_elements(By.CSS_SELECTOR, selector)
        if not elements:
            self.fail(f"expected {what} ({selector!r}) but it is not on the page. {self.describe_page(driver)}")
        return elements[0]

    def has(self, selector, driver=None):
        return bool((driver or self.driver).find_elements(By.CSS_SELECTOR, selector))

    def fill_form(self, form_selector, values, driver=None):
        """Sets each named field of the form: text inputs are replaced, selects choose the option whose
        value matches, checkboxes follow a bool."""
        driver = driver or self.driver
        form = self.find(form_selector, "the form", driver)
        for name, value in values.items():
            fields = form.find_elements(By.CSS_SELECTOR, f'[name="{name}"]')
            if not fields:
                self.fail(f"{form_selector} has no field named {name!r}. {self.describe_page(driver)}")
            field = fields[0]
            if field.tag_name == "select":
                select = Select(field)
                offered = [option.get_attribute("value") for option in select.options]
                if value not in offered:
                    self.fail(f"{form_selector} field {name!r} has no option {value!r}; it offers {offered}")
                select.select_by_value(value)
            elif field.get_attribute("type") == "checkbox":
                if field.is_selected() != bool(value):
                    field.click()
            else:
                field.clear()
                field.send_keys(value)
        return form

    def submit(self, button_selector, driver=None):
        """Clicks the submit button and waits until the browser has left the page it was on."""
        driver = driver or self.driver
        button = self.find(button_selector, "the submit button", driver)
        # A mark on the old document's window; the next document starts without it. (Waiting for the old
        # <html> to go stale is flaky: mid-navigation chromedriver reports other errors than staleness.)
        driver.execute_script("window.__falajOldPage = true")
        button.click()
        if not self._wait_until(driver, self._new_page_loaded):
            self.fail(f"clicking {button_selector} loaded no new page within {WAIT_SECONDS}s. {self.describe_page(driver)}")

    def submit_form(self, form_selector, values, button_selector, driver=None):
        self.fill_form(form_selector, values, driver)
        self.submit(button_selector, driver)

    def wait_for_path(self, path, what, driver=None):
        """Waits until the browser is at `path`, else fails naming `what` and describing where it is."""
        driver = driver or self.driver
        if not self._wait_until(driver, lambda d: self.path(d) == path):
            self.fail(f"{what}: expected to end at {path} but the browser is elsewhere. {self.describe_page(driver)}")

    def http_get(self, path, driver=None):
        """GET without following redirects, with the browser's session cookie; returns (status, body)."""
        driver = driver or self.driver
        request = urllib.request.Request(self.url(path))
        cookie = driver.get_cookie(SESSION_COOKIE)
        if cookie:
            request.add_header("Cookie", f"{SESSION_COOKIE}={cookie['value']}")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=WAIT_SECONDS) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def describe_page(self, driver=None):
        """Where the browser is and what it shows, for failure messages."""
        driver = driver or self.driver
        bodies = driver.find_elements(By.TAG_NAME, "body")
        text = " ".join(bodies[0].text.split()) if bodies else ""
        if len(text) > 400:
            text = text[:400] + "…"
        return f"The browser is at {driver.current_url} (title {driver.title!r}), showing: {text!r}"

    @staticmethod
    def _wait_until(driver, condition):
        # A bool rather than TimeoutException, so that failures do not chain chromedriver's stack trace.
        try:
            WebDriverWait(driver, WAIT_SECONDS).until(condition)
            return True
        except TimeoutException:
            return False

    @staticmethod
    def _new_page_loaded(driver):
        try:
            return driver.execute_script("return !window.__falajOldPage && document.readyState === 'complete'")
        except WebDriverException:  # the browser is between documents
            return False

    # MARK: accounts (the tenancy pages: /signup, /login, the logout form in the header)

    def sign_up(self, region="eu-west-1", driver=None):
        """Signs up a new organisation with a fresh owner through /signup and ends on /app."""
        account = Account(
            organisation=f"Browser Test Org {uuid.uuid4().hex[:8]}",
            region=region,
            email=unique_email("owner"),
            password=STRONG_PASSWORD,
        )
        self.open("/signup", driver)
        self.find("form#signup-form", "the sign-up form at /signup", driver)
        fields = {"organisation": account.organisation, "region": region, "email": account.email, "password": account.password}
        self.submit_form("form#signup-form", fields, "button#signup-submit", driver)
        self.wait_for_path("/app", f"signing up {account.organisation!r} in {region}", driver)
        return account

    def log_in(self, email, password, driver=None):
        """Logs in through /login and ends on /app."""
        self.open("/login", driver)
        self.submit_form("form#login-form", {"email": email, "password": password}, "button#login-submit", driver)
        self.wait_for_path("/app", f"logging in as {email}", driver)

    def log_out(self, driver=None):
        """Logs out with the header's logout form (from /app if the current page has none); ends on /login."""
        if not self.has("form#logout-form", driver):
            self.open("/app", driver)
        self.find("form#logout-form", "the logout form", driver)
        self.submit("button#logout-submit", driver)
        self.wait_for_path("/login", "logging out", driver)

    # MARK: failure captures

    def _failed(self):
        result = getattr(self, "_result", None)
        if result is None:
            return False
        for test, _ in result.failures + result.errors:
            if getattr(test, "test_case", test) is self:  # a failed subTest names its test through test_case
                return True
        return False

    def _capture_failure(self):
        os.makedirs(FAILURES_DIR, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", self.id())
        saved = []
        for index, driver in enumerate(self._drivers):
            stem = os.path.join(FAILURES_DIR, name if index == 0 else f"{name}-browser{index + 1}")
            try:
                if driver.save_screenshot(stem + ".png"):
                    saved.append(stem + ".png")
                with open(stem + ".html", "w", encoding="utf-8") as page:
                    page.write(f"<!-- {driver.current_url} -->\n{driver.page_source}")
                saved.append(stem + ".html")
            except Exception as error:  # the browser may be the thing that broke
                print(f"\ncould not capture browser {index + 1}: {error}", file=sys.stderr)
        log = os.path.join(FAILURES_DIR, name + ".server.log")
        with open(log, "w", encoding="utf-8") as file:
            file.write(self.server.output)
        saved.append(log)
        print(f"\nfailure captures for {self.id()}:\n  " + "\n  ".join(saved), file=sys.stderr)
