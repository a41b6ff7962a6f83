"""Reading the HTML report as a reader sees it, and the number formats docs/report.md states, for
the end-to-end tests that compare its cells with values computed from JSON and CSV."""
import html as html_mod
import re


def fmt_ns(ns):
    """util/units.cpp format_ns, as docs/report.md states it: the unit the rounded value needs."""
    for scale, form in ((1, "%.0f ns"), (1e3, "%.2f us"), (1e6, "%.2f ms"), (1e9, "%.3f s")):
        text = form % (ns / scale)
        if scale == 1e9 or abs(float(text.split()[0])) < 1e3:
            return text


def section_text(page, section_id):
    """The text of one report section as a reader sees it: tags dropped, spaces collapsed."""
    b = page.find('<section id="%s"' % section_id)
    body = page[b:page.find("</section>", b)] if b >= 0 else ""
    return re.sub(r"\s+", " ", html_mod.unescape(re.sub(r"<[^>]*>", " ", body)))


def row(*cells):
    """A table row's cells as section_text renders them, for a substring check."""
    return " " + " ".join(cells) + " "
