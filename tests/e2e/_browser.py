"""Headless Chromium checks for generated HTML reports (helper module for the e2e tests).

load(path) opens a page the way a user would (file://, no network), runs its script, and returns
the DOM after scripts ran plus every console message; screenshot(path, png) saves what it looks
like. check_report() fails on any console message, on a chart with no marks, or on a screenshot
that is blank.
"""
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("FAIL: chromium not found; install it with scripts/setup.sh (Debian package 'chromium')")


def _run(args):
    with tempfile.TemporaryDirectory(prefix="infertrace-chromium-") as profile:
        cmd = [chromium()] + FLAGS + ["--user-data-dir=" + profile] + args
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def load(path):
    """Returns (dom, console_messages) of the page after its scripts ran."""
    r = _run(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000", "--dump-dom",
              "file://" + os.path.abspath(path)])
    console = [line for line in r.stderr.splitlines() if ":CONSOLE" in line]
    if r.returncode != 0 or "<html" not in r.stdout:
        raise AssertionError("chromium could not load %s: rc=%d\n%s" % (path, r.returncode, r.stderr[-2000:]))
    return r.stdout, console


def screenshot(path, png, height=3000):
    if os.path.exists(png):
        os.remove(png)
    _run(["--window-size=1280,%d" % height, "--screenshot=" + png, "file://" + os.path.abspath(path)])
    if not os.path.exists(png):
        raise AssertionError("no screenshot written for " + path)


def png_is_blank(png):
    """True when every pixel row of the (8-bit, non-interlaced) PNG is identical."""
    data = open(png, "rb").read()
    pos, idat, width, bpp = 8, b"", 0, 4
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width = struct.unpack(">I", body[:4])[0]
            bpp = {2: 3, 6: 4, 0: 1, 4: 2}.get(body[9], 4)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp + 1
    distinct = set()
    # Sample rows: filter byte 0 rows differ in content when the image is not blank; a blank page
    # compresses to rows that all carry the same (up-filtered) bytes.
    for r in range(0, len(raw) // stride, 7):
        distinct.add(raw[r * stride + 1:(r + 1) * stride])
        if len(distinct) > 3:
            return False
    return True


def charts(dom):
    """[(declared_marks, drawn_marks)] for each chart (svg.plot) in the DOM."""
    out = []
    parts = re.split(r'<svg class="plot', dom)
    for part in parts[1:]:
        m = re.match(r'[^"]*" data-marks="(\d+)"', part)
        declared = int(m.group(1)) if m else -1
        out.append((declared, part.count('class="mark"')))
    return out


def check_report(html, png, expect_charts=1):
    dom, console = load(html)
    problems = []
    if console:
        problems.append("console messages:\n  " + "\n  ".join(console))
    found = charts(dom)
    if len(found) < expect_charts:
        problems.append("expected at least %d charts, found %d" % (expect_charts, len(found)))
    for i, (declared, drawn) in enumerate(found):
        if drawn == 0 or declared != drawn:
            problems.append("chart %d is empty or inconsistent: data-marks=%d, marks drawn=%d" % (i, declared, drawn))
    if 'class="timeline"' in dom and "shown, from +" not in dom:
        problems.append("the timeline script did not run (range label not updated)")
    screenshot(html, png)
    if png_is_blank(png):
        problems.append("screenshot is blank: " + png)
    return dom, problems
