#include "report/html_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/sweep.h"  // sweep_share_text: the sweep charts' tooltips
#include "util/units.h"

namespace infertrace::html {

namespace {

// Colour-blind-safe palette (Okabe-Ito).
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
constexpr int kLeft = 78, kRight = 16, kTop = 48, kBottom = 46;

// "Nice" tick step (1, 2, 5 x 10^k) so axes read well.
double nice_step(double range, int target) {
  if (range <= 0) return 1;
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  return mag * (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10);
}

// The linear y axis' step: at least 1 on a count axis (ChartOptions::y_count).
double y_step(double range, const ChartOptions& opt) {
  const double step = nice_step(range, 5);
  return opt.y_count ? std::max(step, 1.0) : step;
}

struct Axis {
  double lo = 0, hi = 1;
  bool log2 = false;
  double pos(double v, double a, double b) const {  // value -> pixel between a and b
    const double t0 = log2 ? std::log2(lo) : lo, t1 = log2 ? std::log2(hi) : hi;
    const double t = log2 ? std::log2(std::max(v, 1e-300)) : v;
    return t1 == t0 ? (a + b) / 2 : a + (t - t0) / (t1 - t0) * (b - a);
  }
};

// Axis ticks are round numbers: print them without trailing zeros ("300 us", "1.5 ms").
std::string tick_value(double v, const std::string& unit) {
  std::string s = format_value(v, unit);
  const size_t sp = s.find(' ');
  const size_t dot = s.find('.');
  if (dot != std::string::npos && (sp == std::string::npos || dot < sp)) {
    size_t end = sp == std::string::npos ? s.size() : sp;
    size_t cut = end;
    while (cut > dot + 1 && s[cut - 1] == '0') --cut;
    if (cut == dot + 1) --cut;
    s.erase(cut, end - cut);
  }
  return s;
}

std::string header(const ChartOptions& opt, size_t marks) {
  return fmt::format(
      "<figure class=\"chart\"><svg class=\"plot\" data-marks=\"{}\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">"
      "<text class=\"ctitle\" x=\"{}\" y=\"18\">{}</text>",
      marks, opt.width, opt.height, opt.width, opt.height, escape(opt.title), kLeft, escape(opt.title));
}

// The y axis says it is a log axis, once, on its label: the tooltips name the quantity alone
// (y_label), with the value in its unit. Callers set y_label = "time (log scale)" and every
// point's tooltip read "time (log scale) = 2.50 ms".
std::string axis_labels(const ChartOptions& opt) {
  const int x0 = kLeft, x1 = opt.width - kRight, y1 = opt.height - kBottom;
  const std::string y_label = !opt.log10_y ? opt.y_label : opt.y_label.empty() ? "log scale" : opt.y_label + " (log scale)";
  return fmt::format(
      "<text class=\"alabel\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>"
      "<text class=\"alabel\" transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
      (x0 + x1) / 2, opt.height - 8, escape(opt.x_label), (kTop + y1) / 2, escape(y_label));
}

std::string y_grid(const Axis& y, const ChartOptions& opt) {
  std::string s;
  const int x0 = kLeft, x1 = opt.width - kRight, y0 = kTop, y1 = opt.height - kBottom;
  const auto tick = [&](double v) {
    const double py = y.pos(v, y1, y0);
    s += fmt::format("<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
                     "<text class=\"tick\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>",
                     x0, x1, py, py, x0 - 6, py + 4, escape(tick_value(v, opt.y_unit)));
  };
  if (y.log2) {  // a log y axis (log10_y; the position is the same in any base): lo, hi powers of ten
    const int k0 = static_cast<int>(std::lround(std::log10(y.lo))), k1 = static_cast<int>(std::lround(std::log10(y.hi)));
    for (int k = k0; k <= k1; ++k)
      for (double m : {1.0, 2.0, 5.0})
        if ((m == 1.0 || k1 - k0 <= 3) && (k < k1 || m == 1.0)) tick(m * std::pow(10.0, k));
    s += fmt::format("<line class=\"axis\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>", x0, x1, y1, y1);
    return s;
  }
  const double step = y_step(y.hi - y.lo, opt);
  for (double v = std::ceil(y.lo / step) * step; v <= y.hi + step * 1e-9; v += step) {
    const double py = y.pos(v, y1, y0);
    s += fmt::format("<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
                     "<text class=\"tick\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>",
                     x0, x1, py, py, x0 - 6, py + 4, escape(tick_value(v, opt.y_unit)));
  }
  s += fmt::format("<line class=\"axis\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>", x0, x1, y1, y1);
  return s;
}

std::string legend(const std::vector<std::string>& names, const ChartOptions& opt) {
  if (names.size() < 2) return "";
  std::string s;
  int x = opt.width - kRight;
  for (size_t i = names.size(); i-- > 0;) {
    const int w = 22 + 7 * static_cast<int>(names[i].size());
    x -= w;
    // Under the title, right-aligned, so long titles and legends never collide.
    s += fmt::format("<rect x=\"{}\" y=\"26\" width=\"10\" height=\"10\" fill=\"{}\"/>"
                     "<text class=\"legend\" x=\"{}\" y=\"35\">{}</text>",
                     x, kPalette[i % 8], x + 14, escape(names[i]));
  }
  return s;
}

std::string x_tick_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{:.3g}", v);
}

}  // namespace

std::string escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default:
        // Control characters are not allowed in XML (inline SVG); show them as a replacement.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') o += "\xEF\xBF\xBD";
        else o += c;
    }
  }
  return o;
}

std::string format_value(double v, const std::string& unit) {
  if (unit == "ns") return format_ns(v);
  if (unit == "%") return format_value(v, "") + "%";
  if (unit == "pct" || unit == "pct_sweep") return fmt::format("{:.0f}%", v * 100);
  if (unit == "x" || unit == "x2") return fmt::format("{:.2f}x", v);
  if (std::fabs(v) >= 1e6 || (v != 0 && std::fabs(v) < 1e-2)) return fmt::format("{:.3g}", v);
  if (v == std::floor(v)) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{:.2f}", v);
}

std::string tooltip_value(double v, const std::string& unit) {
  if (unit == "pct") return format_pct(v);                 // CellFormat::Share
  if (unit == "pct_sweep") return sweep_share_text(v);     // the sweep table's share (its "50.0%" digits)
  if (unit == "%") return format_fixed(v, 1) + "%";        // CellFormat::Percent
  if (unit == "x") return format_fixed(v, 3) + "x";        // CellFormat::Times3
  if (unit == "x2") return format_fixed(v, 2) + "x";       // CellFormat::Times2
  return format_value(v, unit);
}

bool wide_y_span(const std::vector<Series>& series, double decades) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const Series& se : series)
    for (size_t i = 0; i < se.x.size() && i < se.y.size(); ++i) {
      if (!std::isfinite(se.y[i]) || !std::isfinite(se.x[i])) continue;
      if (se.y[i] <= 0) return false;  // not on a log axis
      lo = std::min(lo, se.y[i]), hi = std::max(hi, se.y[i]);
    }
  return hi > 0 && hi > lo * std::pow(10.0, decades);
}

std::string line_chart(const std::vector<Series>& series, const ChartOptions& opt) {
  Axis x, y;
  x.log2 = opt.log2_x, y.log2 = opt.log10_y;
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  size_t marks = 0;
  for (auto& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (x.log2 && s.x[i] <= 0) || (y.log2 && s.y[i] <= 0)) continue;
      xlo = std::min(xlo, s.x[i]), xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, s.y[i]), yhi = std::max(yhi, s.y[i]);
      ++marks;
    }
  if (marks == 0) return "";  // nothing to draw: the caller leaves the chart out
  if (y.log2) {  // log10_y: from the power of ten at or below the smallest y to the one at or above the largest
    y.lo = std::pow(10.0, std::floor(std::log10(ylo))), y.hi = std::pow(10.0, std::ceil(std::log10(yhi)));
    if (y.hi <= y.lo) y.hi = y.lo * 10;
  } else {
    if (opt.y_from_zero) ylo = std::min(0.0, ylo);
    if (yhi == ylo) yhi = ylo + 1;
    const double ystep = y_step(yhi - ylo, opt);
    y.lo = std::floor(ylo / ystep) * ystep, y.hi = std::ceil(yhi / ystep) * ystep;
  }
  x.lo = xlo, x.hi = xhi == xlo ? xlo + 1 : xhi;
  const int x0 = kLeft, x1 = opt.width - kRight, y0 = kTop, y1 = opt.height - kBottom;

  std::string s = header(opt, marks) + y_grid(y, opt);
  // x ticks: every distinct x of the data when few (batch sizes, thread counts), else nice steps.
  std::vector<double> xs;
  for (auto& se : series) xs.insert(xs.end(), se.x.begin(), se.x.end());
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  if (xs.size() > 12 && !x.log2) {
    xs.clear();
    const double st = nice_step(x.hi - x.lo, 8);
    for (double v = std::ceil(x.lo / st) * st; v <= x.hi; v += st) xs.push_back(v);
  }
  for (double v : xs) {
    if (x.log2 && v <= 0) continue;
    const double px = x.pos(v, x0 + 10, x1 - 10);
    s += fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", px, y1 + 16,
                     x_tick_text(v));
  }
  std::vector<std::string> names;
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& se = series[k];
    names.push_back(se.name);
    std::string path;
    std::string dots;
    for (size_t i = 0; i < se.x.size() && i < se.y.size(); ++i) {
      if (!std::isfinite(se.x[i]) || !std::isfinite(se.y[i]) || (x.log2 && se.x[i] <= 0) || (y.log2 && se.y[i] <= 0)) continue;
      const double px = x.pos(se.x[i], x0 + 10, x1 - 10), py = y.pos(se.y[i], y1, y0);
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", px, py);
      dots += fmt::format("<circle class=\"mark\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"><title>{}: {} = {}, {} = {}</title></circle>",
                          px, py, kPalette[k % 8], escape(se.name), escape(opt.x_label), x_tick_text(se.x[i]),
                          escape(opt.y_label), escape(tooltip_value(se.y[i], opt.y_unit)));
    }
    s += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>", path, kPalette[k % 8],
                     se.dashed ? " stroke-dasharray=\"6 4\"" : "");
    s += dots;
  }
  s += legend(names, opt) + axis_labels(opt) + "</svg></figure>\n";
  return s;
}

std::string bar_chart(const std::vector<std::string>& categories, const std::vector<BarGroup>& groups,
                      const ChartOptions& opt) {
  // Bars grow from zero, up or down: a negative value (a scenario faster than the baseline: a
  // negative slowdown) is a bar below the zero line, not one off the canvas.
  double ylo = 0, yhi = 0;
  size_t marks = 0;
  for (auto& g : groups)
    for (double v : g.values)
      if (std::isfinite(v)) ylo = std::min(ylo, v), yhi = std::max(yhi, v), ++marks;
  if (categories.empty() || groups.empty() || marks == 0) return "";
  Axis y;
  // A log10 axis only when every value is above 0 (wide_y_span decides): the bars then rise from the
  // power of ten at or below the smallest, so the smallest stays a visible bar (review HR L4).
  double ymin = std::numeric_limits<double>::infinity();
  for (auto& g : groups)
    for (double v : g.values)
      if (std::isfinite(v)) ymin = std::min(ymin, v);
  const bool log_y = opt.log10_y && ymin > 0;
  if (log_y) {
    y.log2 = true;
    y.lo = std::pow(10.0, std::floor(std::log10(ymin))), y.hi = std::pow(10.0, std::ceil(std::log10(yhi)));
    if (y.hi <= y.lo) y.hi = y.lo * 10;
  } else {
    const double ystep = y_step(yhi - ylo > 0 ? yhi - ylo : 1, opt);
    y.lo = std::floor(ylo / ystep) * ystep;
    y.hi = std::max(y.lo + ystep, std::ceil(yhi / ystep) * ystep);
  }
  const int x0 = kLeft, x1 = opt.width - kRight, y0 = kTop, y1 = opt.height - kBottom;
  const double slot = static_cast<double>(x1 - x0) / static_cast<double>(categories.size());
  const double bw = std::max(1.0, slot * 0.8 / static_cast<double>(groups.size()));
  std::string s = header(opt, marks) + y_grid(y, opt);
  // Label at most ~12 categories so the text never overlaps.
  const size_t every = std::max<size_t>(1, (categories.size() + 11) / 12);
  for (size_t c = 0; c < categories.size(); ++c) {
    for (size_t k = 0; k < groups.size(); ++k) {
      if (c >= groups[k].values.size() || !std::isfinite(groups[k].values[c])) continue;
      const double v = groups[k].values[c];
      const double px = x0 + slot * static_cast<double>(c) + slot * 0.1 + bw * static_cast<double>(k);
      const double py = y.pos(v, y1, y0), pzero = log_y ? static_cast<double>(y1) : y.pos(0.0, y1, y0);
      s += fmt::format("<rect class=\"mark\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
                       "<title>{}{}: {}</title></rect>",
                       px, std::min(py, pzero), bw, std::abs(pzero - py), kPalette[k % 8],
                       groups.size() > 1 ? escape(groups[k].name) + ", " : std::string(), escape(categories[c]),
                       escape((c < groups[k].marks.size() ? groups[k].marks[c] : std::string()) + tooltip_value(v, opt.y_unit)));
    }
    if (c % every == 0)
      s += fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                       x0 + slot * (static_cast<double>(c) + 0.5), y1 + 16, escape(categories[c]));
  }
  std::vector<std::string> names;
  for (auto& g : groups) names.push_back(g.name);
  ChartOptions labels = opt;
  labels.log10_y = log_y;  // "(log scale)" on the axis label only when the axis is one
  s += legend(names, opt) + axis_labels(labels) + "</svg></figure>\n";
  return s;
}

}  // namespace infertrace::html
