#include "util/units.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace infertrace {

namespace {
// Above this magnitude a figure is written in scientific notation with three significant digits
// ("1.00e+300"): no measured rate, share or ratio comes near it, and printed in full a hand-edited
// 1e300 was a 301-digit cell (review HR L6) or, cut at the buffer, a wrong one.
constexpr double kPlainBound = 1e15;
bool beyond_plain(double v) { return std::isfinite(v) && std::fabs(v) >= kPlainBound; }
std::string scientific(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2e", v);
  return buf;
}
}  // namespace

std::string format_ns(double ns) {
  // Seconds beyond the plain bound: scientific, as format_fixed (review HR L6).
  if (beyond_plain(ns / 1e9)) return scientific(ns / 1e9) + " s";
  // The unit is chosen on the rounded value: 999.6 ns prints "1.00 us", not "1000 ns" (review HR L6).
  struct Unit {
    double scale;
    const char* format;
  };
  static constexpr Unit kUnits[] = {{1, "%.0f ns"}, {1e3, "%.2f us"}, {1e6, "%.2f ms"}, {1e9, "%.3f s"}};
  char buf[64];
  for (const Unit& u : kUnits) {
    std::snprintf(buf, sizeof buf, u.format, ns / u.scale);
    if (u.scale == 1e9 || !(std::fabs(std::strtod(buf, nullptr)) >= 1e3)) break;
  }
  return buf;
}

std::string format_ns(int64_t ns) { return format_ns(static_cast<double>(ns)); }

std::string format_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (std::fabs(b) >= 1024.0 && u < 4) {
    b /= 1024.0;
    ++u;
  }
  // TiB beyond the plain bound: scientific, as format_ns does with seconds (review DH L8: a
  // hand-edited 1e300 bytes was a 63-character number cut at the buffer).
  if (beyond_plain(b)) return scientific(b) + " " + units[u];
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string format_fixed(double v, int digits) {
  if (beyond_plain(v)) return scientific(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string format_fixed_not_whole(double v, int digits) {
  std::string s = format_fixed(v, digits);
  if (!std::isfinite(v) || v == std::trunc(v)) return s;
  // format_fixed (printf's %.*f) shows a number that is not whole as a whole one only by rounding:
  // add digits until it does not, up to 20. A number under 5e-21 in magnitude (the only doubles
  // that close to a whole number) still reads "0.00000000000000000000" there: it gets its shortest
  // exact text instead ("1e-25"), never a whole-looking one (review WD56 L6: the loop stopped at 20
  // and this comment said it went on).
  auto shows_whole = [](const std::string& t) {
    const size_t dot = t.find('.');
    return dot == std::string::npos || t.find_first_not_of('0', dot + 1) == std::string::npos;
  };
  while (shows_whole(s) && digits < 20) s = format_fixed(v, ++digits);
  return shows_whole(s) ? format_shortest(v) : s;
}

std::string format_shortest(double v) {
  char buf[64];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string format_pct(double f) {
  // A nonzero share that one decimal would round to 0 reads "<0.1%", not "0.0%": 0.0% would claim
  // nothing (review FMT M3). An exact 0 stays 0.0%.
  if (beyond_plain(f * 100.0)) return scientific(f * 100.0) + "%";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f%%", f * 100.0);
  const std::string s = buf;
  if (f > 0 && s == "0.0%") return "<0.1%";
  if (f < 0 && s == "-0.0%") return ">-0.1%";
  return s;
}

std::string format_signed_pct(double f) {
  if (beyond_plain(f * 100.0)) return (f > 0 ? "+" : "") + scientific(f * 100.0) + "%";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.1f%%", f * 100.0);
  return buf;
}

std::string format_rate(double v) {
  if (v == 0 || (std::abs(v) >= 0.05 && std::abs(v) < 1e15)) return format_fixed(v, 1);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string format_count(int64_t n) {
  // The magnitude as unsigned: -n overflows for INT64_MIN.
  const uint64_t magnitude = n < 0 ? uint64_t{0} - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string digits = std::to_string(magnitude);
  std::string out;
  int k = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++k) {
    if (k && k % 3 == 0) out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace infertrace
