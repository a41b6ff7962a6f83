// Readable labels for the figures of a --json document's tables: each verb that writes such a
// table (sweep, compare, fusion) keeps one list of its keys beside its JSON writer, and the HTML
// report (report/html_parts.h labelled_table) shows those keys under these labels, in the
// terminal's units. The keys themselves are the stable interface and never change for a label.
//
// Header-only on purpose: compare_render.cpp is in it_saved_docs (src/CMakeLists.txt), which may
// include no header of report/ with a .cpp of its own.
#pragma once

namespace infertrace {

// How a cell shows a figure (nulls show as "-", as the terminal's tables do).
enum class CellFormat {
  Text,         // a string as it is
  Count,        // an integer with thousands separators
  Label,        // an integer that names a point rather than counts (batch size, chain length, thread
                // count, an id): its digits alone, as the terminal prints it ("1024", not "1,024")
  Ns,           // a duration in ns, shown with its unit (format_ns: "1.23 ms")
  Share,        // a fraction of a whole, shown as a percentage with one decimal (0.123 -> "12.3%")
  Percent,      // a value already in percent, one decimal ("12.3%")
  SignedShare,  // a signed fraction as a percentage ("+12.3%", "-4.0%"): prediction errors
  Times1,       // a ratio with one decimal and "x" ("2.0x")
  Times2,       // a ratio with two decimals and "x" ("1.23x")
  Times3,       // a ratio with three decimals and "x" ("1.234x")
  Fixed1,       // a plain number with one decimal (rates, per-step figures)
  Fixed2,       // a plain number with two decimals
  Fixed3,       // a plain number with three decimals, more where three would show it whole (proximity
                // scores: 0.9995 is not "1.000", format_fixed_not_whole)
  YesNo,        // a boolean as "yes" / "no"
  Signature,    // a scheduler verdict's signature (docs/sched.md) in words ("cpu_contention" -> "CPU contention")
  Seconds,      // a duration in seconds, shown with its unit as Ns is (0.314 -> "314.00 ms")
  Rate,         // a throughput or launch rate as compare's terminal writes it (format_rate: one decimal,
                // three significant digits where that would read "0.0" or run long: "1e-300")
};

struct JsonColumn {
  const char* key;    // the JSON key (unchanged)
  const char* label;  // the header a reader sees, with the unit when the cell does not carry it
  CellFormat format;
  // Non-null: the figure is the member `key` of the row's object `within` (a table column lifted
  // out of a nested object, e.g. fusion --measured's launch_matched).
  const char* within = nullptr;
};

}  // namespace infertrace
