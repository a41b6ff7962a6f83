#include "report/html_report.h"

#include <fmt/format.h>

#include <algorithm>

#include "report/html_parts.h"
#include "report/html_sections.h"
#include "report/html_svg.h"

namespace infertrace::html {

namespace {

constexpr const char* kCss = R"css(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#1d2b3a;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c5d0db}main{padding:8px 28px 40px;max-width:1200px}
nav{margin:10px 0;font-size:13px}nav a{margin-right:14px;color:#0b5cad}
section{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:6px 18px 16px;margin:16px 0}
h2{font-size:18px;margin:12px 0 8px}h3{font-size:15px;margin:16px 0 6px}
.findings{background:#fffbe8;border-color:#efd98a}.findings li{margin:4px 0}
.tw{overflow-x:auto;margin:10px 0}table{border-collapse:collapse;font-size:13px}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{padding:3px 10px;border-bottom:1px solid #e7eaee;white-space:nowrap}th{background:#f0f3f6}
td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}td.l,th.l{text-align:left}
tbody tr:nth-child(even){background:#fafbfc}
.cols{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
figure.chart{margin:8px 0}svg.plot{background:#fff;max-width:100%;height:auto}
.ctitle{font-weight:600;font-size:13px}.tick,.legend,.alabel,.lane{font-size:11px;fill:#333}
.grid{stroke:#e5e8ec}.axis{stroke:#888}
.timeline{margin:8px 0}.tl-bar{font-size:12px;margin:4px 0}.tl-bar button{font-size:12px;margin-right:4px}
.hint,.note,.src{color:#5b6670;font-size:12px}svg.tl{border:1px solid #dde2e8;cursor:grab;display:block}
svg.tl rect{vector-effect:non-scaling-stroke;stroke-width:.6}
.flow{stroke:#555;stroke-opacity:.45;stroke-width:.7;vector-effect:non-scaling-stroke}
.verdict{font-weight:600}
.verdict-box{border-left:4px solid #c7861a;background:#fff7e6;padding:6px 14px;margin:10px 0 14px;font-size:15px}
.verdict-box p{margin:6px 0}footer{color:#5b6670;font-size:12px;padding:0 28px 30px}
)css";

// Timeline zoom and pan: change the inner SVG's viewBox (time coordinates), nothing else.
constexpr const char* kScript = R"js(
(function () {
  'use strict';
  // printf's %.*f: toFixed rounds an exact tie away from zero, printf (glibc) to the even digit, so
  // 1125 ns read "1.13 us" here and "1.12 us" from format_ns (review WD56 L5). Both round the exact
  // binary value otherwise. A tie is a value whose exact expansion ends in the 5 right after the
  // kept digits; toFixed(100) writes all of it for any double that can be one (at least 0.5e-3
  // here, so at most 64 binary, hence decimal, fraction digits).
  function fixed(v, d) {
    var s = v.toFixed(d);
    if (v === 0 && 1 / v < 0) return '-' + s;  // printf keeps -0's sign
    var e = Math.abs(v).toFixed(100), dot = e.indexOf('.');
    if (e.charAt(dot + d + 1) !== '5' || /[1-9]/.test(e.slice(dot + d + 2))) return s;
    var cut = d > 0 ? e.slice(0, dot + d + 1) : e.slice(0, dot);  // the tie with its 5 dropped
    return (+cut.charAt(cut.length - 1)) % 2 === 0 ? (v < 0 ? '-' : '') + cut : s;
  }
  // format_ns's rule (util/units.cpp): the unit is chosen on the rounded value, so 999996 ns reads
  // "1.00 ms", not "1000.00 us" (review HT L1).
  // (No span comes near format_ns's scientific bound, 1e15 s: a trace's ns end at 9.2e9 s.)
  function fmt(ns) {
    var units = [[1, 0, ' ns'], [1e3, 2, ' us'], [1e6, 2, ' ms'], [1e9, 3, ' s']];
    for (var i = 0; i < units.length; i++) {
      var s = fixed(ns / units[i][0], units[i][1]);
      if (i === units.length - 1 || !(Math.abs(parseFloat(s)) >= 1e3)) return s + units[i][2];
    }
  }
  document.querySelectorAll('div.timeline').forEach(function (box) {
    var view = box.querySelector('svg.tl-view');
    var outer = box.querySelector('svg.tl');
    var label = box.querySelector('.tl-range');
    if (!view || !outer) return;
    var full = parseFloat(view.getAttribute('data-full'));
    var h = view.viewBox.baseVal.height;
    var span = parseFloat(box.getAttribute('data-end-ns')) - parseFloat(box.getAttribute('data-begin-ns'));
    var x = 0, w = full;
    function apply() {
      w = Math.min(full, Math.max(full / 1e6, w));
      x = Math.min(full - w, Math.max(0, x));
      view.setAttribute('viewBox', x + ' 0 ' + w + ' ' + h);
      if (label) label.textContent = fmt(span * w / full) + ' shown, from +' + fmt(span * x / full);
    }
    function zoomAt(frac, factor) {
      var t = x + frac * w;
      w = w * factor;
      x = t - frac * w;
      apply();
    }
    function frac(ev) {
      var r = view.getBoundingClientRect();
      return r.width > 0 ? Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width)) : 0.5;
    }
    outer.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      zoomAt(frac(ev), ev.deltaY < 0 ? 0.8 : 1.25);
    }, {passive: false});
    var drag = null;
    outer.addEventListener('mousedown', function (ev) { drag = {cx: ev.clientX, x: x}; });
    window.addEventListener('mouseup', function () { drag = null; });
    window.addEventListener('mousemove', function (ev) {
      if (!drag) return;
      var r = view.getBoundingClientRect();
      if (r.width > 0) { x = drag.x - (ev.clientX - drag.cx) / r.width * w; apply(); }
    });
    box.querySelectorAll('button[data-zoom]').forEach(function (b) {
      b.addEventListener('click', function () {
        var z = b.getAttribute('data-zoom');
        if (z === 'in') zoomAt(0.5, 0.5);
        else if (z === 'out') zoomAt(0.5, 2);
        else { x = 0; w = full; apply(); }
      });
    });
    apply();
  });
})();
)js";

}  // namespace

std::vector<std::string> findings(const ReportInputs& in) {
  std::vector<std::string> out;
  for (auto& t : in.traces) trace_findings(t, out);
  for (auto& d : in.docs) document_findings(d, classify_document(d.doc), out);
  // A recording and the scheduler analysis made of it say its incompleteness in one sentence: once.
  std::vector<std::string> once;
  for (std::string& f : out)
    if (std::find(once.begin(), once.end(), f) == once.end()) once.push_back(std::move(f));
  return once;
}

std::string render_report(const ReportInputs& in) {
  std::vector<std::pair<std::string, std::string>> toc;  // id, title
  std::string body;

  const std::vector<std::string> f = findings(in);
  if (!f.empty()) {
    std::string list = "<ul>";
    for (auto& line : f) list += "<li>" + escape(line) + "</li>";
    list += "</ul>";
    body += "<section id=\"findings\" class=\"findings\"><h2>Findings</h2>" + list + "</section>\n";
    toc.push_back({"findings", "Findings"});
  }
  if (std::string s = traces_overview(in.traces); !s.empty()) {
    body += s;
    toc.push_back({"traces", "Traces"});
  }
  for (size_t i = 0; i < in.traces.size(); ++i) {
    if (!in.traces[i].trace) continue;
    body += trace_details(in.traces[i], i);
    toc.push_back({fmt::format("trace-{}", i), in.traces[i].label});
  }
  for (size_t i = 0; i < in.docs.size(); ++i) {
    const std::string kind = classify_document(in.docs[i].doc);
    body += document_section(in.docs[i], kind, i);
    toc.push_back({fmt::format("doc-{}", i), (kind.empty() ? std::string("results") : kind) + ": " + in.docs[i].label});
  }
  if (body.empty()) body = "<section><h2>No data</h2><p>The inputs held nothing this report can show.</p></section>";

  std::string nav = "<nav>";
  for (auto& [id, title] : toc) nav += fmt::format("<a href=\"#{}\">{}</a>", escape(id), escape(title));
  nav += "</nav>";
  std::string notes;
  if (!in.notes.empty()) {
    HtmlTable t({"", ""});
    for (auto& [k, v] : in.notes) t.add_row({k, v});
    notes = t.render();
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<link rel=\"icon\" href=\"data:,\">"  // no favicon request (the file needs no network)
      "<title>{}</title><style>{}</style></head>\n<body><header><h1>{}</h1>"
      "<p>Self-contained report written by infertrace: hover charts and timelines for details.</p></header>\n"
      "<main>{}\n{}</main><footer>{}</footer><script>{}</script></body></html>\n",
      escape(in.title), kCss, escape(in.title), nav, body, notes, kScript);
}

}  // namespace infertrace::html
