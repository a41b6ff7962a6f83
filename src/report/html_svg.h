// Server-side SVG charts for the HTML report: line charts (one or more series, linear or log2 x),
// bar charts (histograms, categories) and grouped bars. The report stays one self-contained file
// with no JavaScript charting library; every drawn data point carries class "mark" and a <title>
// tooltip, which the browser test counts to catch empty plots.
#pragma once

#include <string>
#include <vector>

namespace infertrace::html {

struct Series {
  std::string name;
  std::vector<double> x, y;
  bool dashed = false;  // e.g. a bound/roofline rather than a measurement
};

struct ChartOptions {
  std::string title;
  std::string x_label, y_label;
  bool log2_x = false;   // batch sizes, thread counts, chain lengths
  bool y_from_zero = true;
  int width = 560, height = 300;
  // How y values are printed on the axis and in tooltips: "ns" (durations), "pct" (0..1 shares),
  // "x" (ratios; "x2" where the table shows two decimals), "%" (values in percent), "" (plain
  // numbers), "pct_sweep" (a sweep's shares of IL: "pct" on the axis, the tooltip as the sweep table's
  // sweep_share_text, with the digits that keep a share off "50.0%" where it is not half). Tooltips
  // show the value as the table does (tooltip_value).
  std::string y_unit;
  // A log10 y axis (line charts only): ticks at 1, 2, 5 x 10^k (powers of ten alone over more than
  // three decades), labels in y_unit; the axis label adds " (log scale)" to y_label (tooltips keep
  // y_label as it is). Every y must be positive: a point with y <= 0 is not drawn,
  // so callers turn it on through wide_y_span, which says no when any y is <= 0. Bar charts take it
  // too, and keep a linear axis when any value is 0 or below (bars then rise from the lowest tick).
  bool log10_y = false;
  // The y values are counts (launch calls, pairs): linear ticks at whole numbers only, never
  // 0.2 of a pair (review HT L4).
  bool y_count = false;
};

// The decades of y above which a chart of durations reads better on a log axis: over 1.5 (a 32x
// span) the smallest values sit within a few pixels of the axis on a linear one (the sweep's small
// batches under the largest's TKLQT: review UX M2).
constexpr double kLogYDecades = 1.5;

// Whether the finite y values of `series` are all positive and span more than `decades` decades
// (max / min > 10^decades): then a log10 y axis shows every point apart.
bool wide_y_span(const std::vector<Series>& series, double decades = kLogYDecades);

// Lines with a dot per point.
std::string line_chart(const std::vector<Series>& series, const ChartOptions& opt);

// One bar per category, or per group of categories when several series are given (grouped bars).
struct BarGroup {
  std::string name;
  std::vector<double> values;  // one per category
  // Optional, one per value: written before the value in its bar's tooltip (compare's bound marks
  // "≤", "≥", "~", so that the tooltip says what its table cell says).
  std::vector<std::string> marks = {};
};
std::string bar_chart(const std::vector<std::string>& categories, const std::vector<BarGroup>& groups,
                      const ChartOptions& opt);

// A value formatted for an axis in the chart's unit ("%": a value in percent, as compare's slowdown).
std::string format_value(double v, const std::string& unit);

// A value formatted for a tooltip, as the table cell it repeats shows it (review HR L3): "pct" a
// share with one decimal ("43.4%"), "%" a percent with one decimal ("31.5%"), "x" three decimals
// ("1.451x"), "x2" two ("1.45x"), "ns" a duration; else as format_value.
std::string tooltip_value(double v, const std::string& unit);

// HTML/XML escaping for text and attribute values.
std::string escape(std::string_view s);

}  // namespace infertrace::html
