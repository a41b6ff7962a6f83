// Human-readable durations, sizes and rates for terminal output. Machine output (JSON, CSV) always
// carries the raw integer nanoseconds / bytes instead.
#pragma once

#include <cstdint>
#include <string>

namespace infertrace {

// 1234 -> "1.23 us", 1234567 -> "1.23 ms", 0 -> "0 ns". Negative values keep their sign. The unit is
// the one the rounded value needs: 999.6 -> "1.00 us", 999996 -> "1.00 ms".
std::string format_ns(int64_t ns);
std::string format_ns(double ns);
// 1536 -> "1.5 KiB".
std::string format_bytes(double bytes);
// 2.34567, 2 -> "2.35" (printf's %.*f: the binary value rounded, as Python's format and every
// other formatter here round it, so 10.05 -> "10.1" but 9.95 -> "9.9", their doubles lying just
// above and below the tie: kept so that a number checked with printf or Python reads the same;
// review HT L3 / WD56 H1). Beyond 1e15 in magnitude (a hand-edited 1e300: no measured
// figure comes near) three significant digits in scientific notation, "1.00e+300", here and in
// format_ns ("1.00e+299 s"), format_bytes (TiB: "9.09e+287 TiB"), format_pct and format_signed_pct.
std::string format_fixed(double v, int digits);
// The same, with more digits where `digits` would show a number that is not whole as a whole one:
// 0.9995, 3 -> "0.9995", not "1.000" (a proximity score of 1 means deterministic: review FU-10);
// 1.0, 3 -> "1.000"; 0.00002, 3 -> "0.00002"; up to 20 digits, then the shortest exact text:
// 1e-25, 3 -> "1e-25".
std::string format_fixed_not_whole(double v, int digits);
// A launch rate or throughput as compare writes it, in its table, notes and reasons, and as the
// report page's rate columns show it (CellFormat::Rate): one decimal, or three significant digits
// where that would read "0.0" for a positive rate or run to many digits ("1e-320", "1e+308").
// Here rather than in analysis/compare so that the page's cell formatter uses this one too
// (review WD56 M1: the page showed throughputs 1e-300 and 2e-300 as "0.0 0.0").
std::string format_rate(double v);
// The shortest text that reads back as the same double (%g with as many digits as needed):
// 0.9996 -> "0.9996", 1.0000000001 -> "1.0000000001", -1e-9 -> "-1e-09", 1.0 -> "1". For values a
// user gave (thresholds), which %.2f or %f would show as a neighbouring one (review FU-2, FU-3).
std::string format_shortest(double v);
// 0.1234 -> "12.3%"; a nonzero share that rounds to 0.0% -> "<0.1%" (">-0.1%" below 0); 0 -> "0.0%".
std::string format_pct(double fraction);
// The same with its sign: 0.125 -> "+12.5%", -0.04 -> "-4.0%" (prediction errors).
std::string format_signed_pct(double fraction);
// Thousands separators: 1234567 -> "1,234,567".
std::string format_count(int64_t n);

}  // namespace infertrace
