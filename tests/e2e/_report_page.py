"""Reading the HTML report as a reader sees it, and the number formats docs/report.md states, for
the end-to-end tests that compare its cells with values computed from JSON and CSV."""
import html as html_mod
import re


def fmt_ns(ns):
    """util/units.cpp format_ns, as docs/report.md states it."""
    a = abs(ns)
    if a < 1e3:
        return "%.0f ns" % ns
    if a < 1e6:
        return "%.2f us" % (ns / 1e3)
    if a < 1e9:
        return "%.2f ms" % (ns / 1e6)
    return "%.3f s" % (ns / 1e9)


def section_text(page, section_id):
    """The text of one report section as a reader sees it: tags dropped, spaces collapsed."""
    b = page.find('<section id="%s"' % section_id)
    body = page[b:page.find("</section>", b)] if b >= 0 else ""
    return re.sub(r"\s+", " ", html_mod.unescape(re.sub(r"<[^>]*>", " ", body)))


def row(*cells):
    """A table row's cells as section_text renders them, for a substring check."""
    return " " + " ".join(cells) + " "
