"""Loads generated HTML reports in headless Chromium: no console message, no empty chart, a
non-blank screenshot saved in the build tree (report-samples/*.png) for a human to look at.

Negative controls first, so the checks are known to catch what they look for.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _browser  # noqa: E402

binary_dir = os.environ["INFERTRACE_BINARY_DIR"]
out_dir = os.path.join(binary_dir, "report-samples")
os.makedirs(out_dir, exist_ok=True)
failures = []

# 1. Negative controls: a page with a script error and an empty chart must both be reported.
with tempfile.TemporaryDirectory() as tmp:
    bad = os.path.join(tmp, "bad.html")
    with open(bad, "w") as f:
        f.write('<!DOCTYPE html><html><body><svg class="plot" data-marks="0" width="10" height="10"></svg>'
                '<p>x</p><script>undefinedFunction();</script></body></html>')
    _, problems = _browser.check_report(bad, os.path.join(tmp, "bad.png"))
    if not any("console" in p for p in problems):
        failures.append("negative control: a script error was not detected")
    if not any("empty" in p for p in problems):
        failures.append("negative control: an empty chart was not detected")
    blank = os.path.join(tmp, "blank.html")
    with open(blank, "w") as f:
        f.write("<html><body></body></html>")
    _browser.screenshot(blank, os.path.join(tmp, "blank.png"), 600)
    if not _browser.png_is_blank(os.path.join(tmp, "blank.png")):
        failures.append("negative control: a blank page was not detected as blank")

# 2. The report the unit test renders from a hand-built trace and every kind of saved JSON.
tests_bin = os.path.join(binary_dir, "tests", "infertrace_tests")
r = subprocess.run([tests_bin, "--gtest_filter=HtmlReport.RendersEverySectionWithNonEmptyChartsAndPlainFindings"],
                   capture_output=True, text=True)
if r.returncode != 0:
    failures.append("unit report generation failed:\n" + r.stdout[-2000:])
else:
    html = os.path.join(out_dir, "unit_report.html")
    dom, problems = _browser.check_report(html, os.path.join(out_dir, "unit_report.png"), expect_charts=11)
    failures += ["unit_report.html: " + p for p in problems]

if failures:
    print("FAIL\n" + "\n".join(failures))
    sys.exit(1)
print("ok: reports load in Chromium without console messages; screenshots in " + out_dir)
