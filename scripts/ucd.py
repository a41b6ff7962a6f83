"""Reading the Unicode Character Database as Debian's unicode-data package installs it
(/usr/share/unicode), for the scripts that generate the project's Unicode tables
(gen_display_width.py, gen_unicode_tables.py)."""
import os

DEFAULT_DIR = "/usr/share/unicode"


def general_categories(ucd):
    """code point -> general category (two letters) of every assigned code point, UnicodeData.txt's
    "<..., First>" / "<..., Last>" ranges expanded."""
    cat, first = {}, None
    for line in open(os.path.join(ucd, "UnicodeData.txt"), encoding="utf-8"):
        f = line.split(";")
        cp, name, gc = int(f[0], 16), f[1], f[2]
        if name.endswith(", First>"):
            first = cp
            continue
        lo = first if name.endswith(", Last>") else cp
        first = None
        for c in range(lo, cp + 1):
            cat[c] = gc
    return cat


def runs(value_of, default):
    """Sorted, disjoint (lo, hi, value) runs over all code points of the values other than
    `default`: adjacent code points of one value form one run."""
    out = []
    for c in range(0x110000):
        v = value_of(c)
        if v == default:
            continue
        if out and out[-1][1] == c - 1 and out[-1][2] == v:
            out[-1] = (out[-1][0], c, v)
        else:
            out.append((c, c, v))
    return out
