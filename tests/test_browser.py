"""The HTML reports in a real browser: headless Chromium, driven over the DevTools protocol.

What a person would see is checked: the charts are drawn with a size, the MathML is
laid out as mathematics (a fraction's numerator above its denominator), the links
between the class report and the feedback pages resolve, the students table sorts,
the print stylesheet hides the navigation, a hostile submission runs nothing, and no
request leaves the machine.  Screenshots are saved under the test's temporary folder
(the path is printed; ``pytest -s`` shows it).

The protocol is spoken over ``--remote-debugging-pipe`` (file descriptors 3 and 4,
NUL-separated JSON), so the test needs no package beyond the standard library.
Chromium: ``apt-get install -y chromium`` (``.ci/run`` does it); without it the test skips.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from derivcheck.grading.outputs import run_grade

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "html"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-pipe", "--window-size=1100,1400"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


class Browser:
    """A headless Chromium and one page, over the DevTools pipe."""

    def __init__(self, exe: str, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds() -> None:  # the browser reads commands on fd 3 and writes replies on fd 4
            # move both ends above 4 first: a pipe end may itself be fd 3 or 4, and dup2 onto
            # itself would keep its close-on-exec flag
            r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"], preexec_fn=fds, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page.enable", "Network.enable", "Runtime.enable", "Log.enable"):
            self.call(domain, session=True)

    def call(self, method: str, session: bool = False, timeout: float = 60, **params: Any) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._next(timeout)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _next(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_chrome], [], [], left)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def wait_for(self, method: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._next(max(0.1, deadline - time.monotonic())))

    def open(self, path: Path) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=path.as_uri())
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        out = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in out:
            raise RuntimeError(out["exceptionDetails"])
        return out["result"].get("value")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and blocked content (a CSP refusal) since the page was opened."""
        out = []
        for e in self.events:
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(str(e["params"]["exceptionDetails"].get("text")))
            elif e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error":
                out.append(e["params"]["entry"].get("text", ""))
            elif e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error":
                out.append(str(e["params"].get("args")))
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except Exception:  # noqa: BLE001 - it may close the pipe before answering
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("site")
    subs = work / "subs"
    shutil.copytree(DATA / "submissions", subs)
    shutil.copy(DATA / "submissions" / "hostile.yaml", subs / '"><img src=x onerror=alert(7)>.yaml')
    assert run_grade(DATA / "key.yaml", subs, work / "out", jobs=1, progress=False) == 0
    return work / "out"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    exe = chromium()
    if exe is None:
        pytest.skip("no Chromium found (install it: apt-get install -y chromium); CI installs it, so this runs there")
    b = Browser(exe, tmp_path_factory.mktemp("profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots in {folder}")
    return folder


def local_only(urls: list[str]) -> None:
    assert urls, "no request recorded at all: the recorder is broken"
    for url in urls:
        assert urlsplit(url).scheme in ("file", "data", "about"), url


def test_class_report_draws_charts_links_and_sorts(browser: Browser, site: Path, shots: Path) -> None:
    browser.open(site / "report.html")
    local_only(browser.requests())
    assert browser.problems() == []
    charts = browser.js("[...document.querySelectorAll('svg.chart')].map(s => {const r = s.getBoundingClientRect(); "
                        "return [r.width, r.height, [...s.querySelectorAll('rect.bar')].filter(b => b.getBBox().height > 0 && b.getBBox().width > 0).length]})")
    assert len(charts) == 4  # total, q1, q2, the mistakes
    for width, height, bars in charts:
        assert width > 100 and height > 50 and bars >= 1
    # every link points at a file that exists, and at an element of it when it has a fragment
    links = browser.js("[...document.querySelectorAll('a[href]')].map(a => new URL(a.getAttribute('href'), document.baseURI).href)")
    pages = [u for u in links if not u.startswith((site / "report.html").as_uri() + "#")]
    assert len(pages) >= 6
    for url in pages:
        parts = urlsplit(url)
        assert parts.scheme == "file" and Path(unquote(parts.path)).is_file(), url
    svg_links = browser.js("[...document.querySelectorAll('svg a')].length")
    assert svg_links >= 1  # the mistake bars link to an example
    # sort by total, descending on a second press: the rows follow, and aria-sort says so
    totals = browser.js("""(() => {
        const th = [...document.querySelectorAll('table.sortable th')].find(h => h.textContent.trim().startsWith('total'));
        const col = [...th.parentNode.children].indexOf(th), read = () => [...document.querySelectorAll('table.sortable tbody tr')]
            .map(r => parseFloat(r.cells[col].textContent));
        th.querySelector('button').click(); const up = read(), first = th.getAttribute('aria-sort');
        th.querySelector('button').click(); return [up, first, read(), th.getAttribute('aria-sort')];
    })()""")
    up, first, down, second = totals
    assert up == sorted(up) and down == sorted(down, reverse=True) and len(up) == 6
    assert (first, second) == ("ascending", "descending")
    browser.screenshot(shots / "report.png")
    # printed: navigation and the sort hint are hidden
    browser.call("Emulation.setEmulatedMedia", session=True, media="print")
    hidden = browser.js("[...document.querySelectorAll('.no-print')].map(e => getComputedStyle(e).display)")
    browser.call("Emulation.setEmulatedMedia", session=True, media="")
    assert hidden and set(hidden) == {"none"}


def test_feedback_page_lays_out_mathematics(browser: Browser, site: Path, shots: Path) -> None:
    browser.open(site / "feedback" / "sign.html")
    local_only(browser.requests())
    assert browser.problems() == []
    boxes = browser.js("[...document.querySelectorAll('math')].map(m => {const r = m.getBoundingClientRect(); return [r.width, r.height]})")
    assert len(boxes) >= 6
    assert all(w > 0 and h > 0 for w, h in boxes), boxes
    # MathML, not text: a fraction's numerator sits above its denominator, centred over it
    fractions = browser.js("[...document.querySelectorAll('mfrac')].map(f => {const [a, b] = [...f.children].map(c => c.getBoundingClientRect()); "
                           "return [a.bottom, b.top, a.left + a.width / 2, b.left + b.width / 2]})")
    assert fractions
    for num_bottom, den_top, num_mid, den_mid in fractions:
        assert num_bottom <= den_top + 1 and abs(num_mid - den_mid) < 2
    # a superscript is raised: 3*x**2 shows the 2 above the x's middle
    raised = browser.js("[...document.querySelectorAll('msup')].map(s => {const [b, e] = [...s.children].map(c => c.getBoundingClientRect()); return e.bottom < b.bottom})")
    assert raised and all(raised)
    # verdicts in words, and the counterexample table drawn
    text = browser.js("document.body.innerText")
    assert "✗ invalid" in text and "✓ proved" in text and "Counterexample" in text
    back = browser.js("document.querySelector('a[href=\"../report.html\"]').href")
    assert Path(unquote(urlsplit(back).path)) == site / "report.html"
    browser.screenshot(shots / "feedback.png")


def test_hostile_submission_runs_nothing(browser: Browser, site: Path, shots: Path) -> None:
    for page in (site / "feedback" / "hostile.html", site / "feedback" / '"><img src=x onerror=alert(7)>.html'):
        browser.open(page)
        local_only(browser.requests())
        assert browser.js("document.querySelectorAll('script, img, iframe, object, embed').length") == 0
        assert not [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
        text = browser.js("document.body.innerText")
        assert "<script>alert(1)</script>" in text and "<script>alert(3)</script>" in text
    browser.screenshot(shots / "hostile.png")
    browser.open(site / "report.html")
    assert browser.js("document.querySelectorAll('img').length") == 0
    assert '"><img src=x onerror=alert(7)>' in browser.js("document.body.innerText")
    assert not [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]


def test_verify_page_of_a_latex_document(browser: Browser, tmp_path: Path, shots: Path) -> None:
    root = Path(__file__).parent.parent / "examples" / "latex"
    page = tmp_path / "page.html"
    proc = subprocess.run([sys.executable, "-m", "derivcheck", "verify", str(root / "int305-assignment1-answer.md"), "--context",
                           str(root / "int305_context.yaml"), "--format", "html", "--output-file", str(page)],
                          capture_output=True, text=True, check=False)
    assert page.is_file(), proc.stderr
    browser.open(page)
    local_only(browser.requests())
    assert browser.problems() == []
    boxes = browser.js("[...document.querySelectorAll('table.steps math')].map(m => {const r = m.getBoundingClientRect(); return r.width * r.height})")
    assert len(boxes) >= 10 and all(a > 0 for a in boxes)
    # the student's LaTeX, as written: \\frac{\\partial L_{CE}}{\\partial w_j} is a fraction whose top reads ∂L_CE
    top = browser.js("document.querySelector('table.steps mfrac').children[0].textContent")
    assert top.replace(" ", "") == "∂LCE"
    browser.screenshot(shots / "verify.png")
