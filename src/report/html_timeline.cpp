#include "report/html_timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "analysis/launch.h"
#include "analysis/launch_intervals.h"
#include "report/html_parts.h"
#include "report/html_svg.h"
#include "report/perfetto.h"
#include "report/thread_track_name.h"
#include "util/units.h"

namespace infertrace::html {

namespace {

constexpr double kViewWidth = 100000.0;  // time coordinate range of the zoomable view
constexpr int kLabelWidth = 190, kLaneHeight = 16, kLaneGap = 3;
// A lane label longer than this (bytes; about what the 184 px before the lanes hold at 11 px) is
// cut in its middle, the full name in its tooltip (review HT L5: a long thread name ran off the
// left edge, its start clipped).
constexpr size_t kLaneLabelBytes = 30;
// The most of a name a tooltip repeats (bytes, cut in the middle): each drawn event has one, so
// 40,000 kernels of 500-character names made a 52 MB page (review HT L6). docs/report.md.
constexpr size_t kTooltipNameBytes = 300;

// Lane order: CPUs, their IRQs, then each thread's operators / API calls / syscalls, then GPU.
enum class LaneKind { Cpu = 0, CpuIrq = 1, ThreadOps = 2, ThreadApi = 3, ThreadSys = 4, Gpu = 5 };
using LaneKey = std::tuple<int, int64_t, int64_t, int64_t, int>;  // group, a, b, kind, depth

enum class Src : uint8_t { OnCpu, Irq, Op, Api, Sys, Gpu };

// One slice to draw. Its label is built only if it falls inside the excerpt (a long trace has
// millions of events and the excerpt a few thousand).
struct Item {
  ns_t start, end;
  LaneKey lane;
  const char* color;
  Src src;
  uint32_t row;  // in its table (on-CPU slices: their place in the walk, then among those drawn)
  int64_t api_row() const { return src == Src::Api ? static_cast<int64_t>(row) : -1; }
  int64_t gpu_row() const { return src == Src::Gpu ? static_cast<int64_t>(row) : -1; }
};

const char* api_color(ApiKind k) {
  if (k == ApiKind::Sync) return "#D55E00";
  return is_launch(k) ? "#E69F00" : "#BBBBBB";
}

// Every event the timeline may draw, as an Item, in drawing order: on-CPU slices, IRQs, operators
// (by thread, then start: `op_order`, with each one's nesting depth at its place in `op_depth`),
// CUDA API calls, syscalls, GPU activities. Items are made one at a time and not kept: a recording
// of 50 M events held them all (72 bytes each, 3.8 GB) to draw 3,000 (review LR L3: `report` took
// twice the memory of `analyze` or `sched`); so are the on-CPU slices (OnCpuSliceWalk), each given
// to fn with its item (nullptr with the others) for the few drawn to be kept.
template <class Fn>
void for_each_item(const Trace& t, const OnCpuSliceWalk& oncpu, const std::vector<uint32_t>& op_order,
                   const std::vector<uint8_t>& op_depth, Fn&& fn) {
  uint32_t place = 0;
  oncpu.for_each([&](const OnCpuSlice& s) {
    fn(Item{s.start, s.end, {0, s.cpu, 0, static_cast<int>(LaneKind::Cpu), 0}, "#56B4E9", Src::OnCpu, place++}, &s);
  });
  for (uint32_t i = 0; i < t.irqs.size(); ++i) {
    const bool soft = t.irqs.kind[i] == IrqKind::Soft;
    fn(Item{t.irqs.ts[i], t.irqs.ts[i] + t.irqs.dur[i], {0, t.irqs.cpu[i], 0, static_cast<int>(LaneKind::CpuIrq), 0},
            soft ? "#F0E442" : "#CC0000", Src::Irq, i}, nullptr);
  }
  for (size_t k = 0; k < op_order.size(); ++k) {
    const uint32_t i = op_order[k];
    fn(Item{t.ops.start[i], t.ops.start[i] + t.ops.dur[i],
            {1, t.ops.pid[i], t.ops.tid[i], static_cast<int>(LaneKind::ThreadOps), op_depth[k]}, "#9ECAE1", Src::Op, i},
       nullptr);
  }
  for (uint32_t i = 0; i < t.api.size(); ++i)
    fn(Item{t.api.start[i], t.api.start[i] + std::max<ns_t>(t.api.dur[i], 0),
            {1, t.api.pid[i], t.api.tid[i], static_cast<int>(LaneKind::ThreadApi), 0}, api_color(t.api.kind[i]), Src::Api,
            i},
       nullptr);
  for (uint32_t i = 0; i < t.syscalls.size(); ++i)
    fn(Item{t.syscalls.ts[i], t.syscalls.ts[i] + t.syscalls.dur[i],
            {1, t.syscalls.pid[i], t.syscalls.tid[i], static_cast<int>(LaneKind::ThreadSys), 0}, "#999999", Src::Sys, i},
       nullptr);
  for (uint32_t i = 0; i < t.gpu.size(); ++i)
    fn(Item{t.gpu.start[i], t.gpu.start[i] + t.gpu.dur[i],
            {2, t.gpu.device[i], t.gpu.stream[i], static_cast<int>(LaneKind::Gpu), 0},
            t.gpu.kind[i] == GpuKind::Kernel ? "#009E73" : t.gpu.kind[i] == GpuKind::Memcpy ? "#0072B2" : "#CC79A7",
            Src::Gpu, i}, nullptr);
}

}  // namespace

Timeline render_timeline(const Trace& t, const TimelineOptions& opt) {
  Timeline tl;
  const ThreadNameRows name_rows(t);  // a lane's thread name: its pid and tid's row (review XP L1)
  const OnCpuSliceWalk oncpu(t);
  std::vector<OnCpuSlice> oncpu_drawn;  // the on-CPU slices of `items` below (their row: a place here)
  // Operators nest: each gets its depth on its thread so nested ones get their own row.
  std::vector<uint32_t> op_order(t.ops.size());
  std::vector<uint8_t> op_depth(t.ops.size());
  {
    for (uint32_t i = 0; i < op_order.size(); ++i) op_order[i] = i;
    std::sort(op_order.begin(), op_order.end(), [&](uint32_t a, uint32_t b) {
      return std::tie(t.ops.tid[a], t.ops.start[a]) < std::tie(t.ops.tid[b], t.ops.start[b]);
    });
    std::vector<ns_t> stack;  // end times of the open operators on the current thread
    int64_t tid = -2;
    for (size_t k = 0; k < op_order.size(); ++k) {
      const uint32_t i = op_order[k];
      if (t.ops.tid[i] != tid) stack.clear(), tid = t.ops.tid[i];
      while (!stack.empty() && stack.back() <= t.ops.start[i]) stack.pop_back();
      op_depth[k] = static_cast<uint8_t>(std::min<size_t>(stack.size(), 5));
      stack.push_back(t.ops.start[i] + t.ops.dur[i]);
    }
  }
  auto label = [&](const Item& it) -> std::string {
    switch (it.src) {
      case Src::OnCpu: {
        const auto& s = oncpu_drawn[it.row];
        return fmt::format("{} {} on CPU {}", t.str(s.comm), s.tid, s.cpu);
      }
      case Src::Irq:
        return fmt::format("{}{}", t.irqs.label_prefix(it.row), t.str(t.irqs.name[it.row]));
      case Src::Op: return std::string(t.str(t.ops.name[it.row]));
      case Src::Api: return std::string(t.str(t.api.name[it.row]));
      case Src::Sys: return std::string(t.str(t.syscalls.name[it.row]));
      case Src::Gpu: return std::string(t.str(t.gpu.name[it.row]));
    }
    return "";
  };
  // A call whose duration the recording did not measure (ApiCall::dur -1: no return probe) is
  // drawn with no width but says so, not "0 ns", a measured-looking 0 (review XP L3; --chrome's
  // "duration": "not measured").
  auto duration_text = [&](const Item& it) {
    if (it.src == Src::Api && t.api.dur[it.row] < 0) return std::string("duration not measured");
    return format_ns(sat_sub(it.end, it.start));
  };

  // The excerpt, when there are more than max_events events: from the first start up to the
  // (max_events+1)-th smallest start, which ends the window and is itself left out, so the events
  // drawn are those starting before it: max_events of them, fewer when starts tie there (more only
  // when more than max_events start at the very first start: the 1 ns window below holds them all;
  // with from_offset, the events that started before the window and still run there come on top).
  // With a from_offset, the same from the first event starting at or after the trace's first start
  // plus the offset. A first pass finds the trace's first and last start; a second keeps only the
  // max_events+1 smallest starts at or after the threshold (a max-heap).
  size_t count = 0;
  for_each_item(t, oncpu, op_order, op_depth, [&](const Item& it, const OnCpuSlice*) {
    tl.trace_begin = count == 0 ? it.start : std::min(tl.trace_begin, it.start);
    tl.trace_last_start = count == 0 ? it.start : std::max(tl.trace_last_start, it.start);
    ++count;
  });
  if (count == 0) return tl;
  const ns_t threshold = sat_add(tl.trace_begin, std::max<ns_t>(opt.from_offset, 0));
  size_t after = 0;  // events starting at or after the threshold
  ns_t first_start = 0, last_end = 0;
  std::priority_queue<ns_t> smallest;
  const size_t keep = opt.max_events == SIZE_MAX ? SIZE_MAX : opt.max_events + 1;
  for_each_item(t, oncpu, op_order, op_depth, [&](const Item& it, const OnCpuSlice*) {
    if (it.start < threshold) return;
    first_start = after == 0 ? it.start : std::min(first_start, it.start);
    last_end = after == 0 ? it.end : std::max(last_end, it.end);
    ++after;
    if (smallest.size() < keep) smallest.push(it.start);
    else if (it.start < smallest.top()) smallest.pop(), smallest.push(it.start);
  });
  if (after == 0) {
    tl.past_end = true;
    return tl;
  }
  tl.begin = first_start;
  const bool excerpt = after > opt.max_events;
  tl.end = excerpt ? smallest.top() : std::max(tl.begin, last_end);
  if (tl.end <= tl.begin) tl.end = sat_add(tl.begin, 1);
  // Differences saturate: a trace whose times span more than int64 nanoseconds (review CX L3) read
  // as a negative span here (signed overflow).
  const double scale = kViewWidth / static_cast<double>(std::max<ns_t>(sat_sub(tl.end, tl.begin), 1));
  auto tx = [&](ns_t v) { return static_cast<double>(sat_sub(std::clamp(v, tl.begin, tl.end), tl.begin)) * scale; };
  // What is drawn: in an excerpt, the events starting before its end; of a whole trace, every event
  // (one of no duration at the last end included); with from_offset also those that started
  // before the window and still run at its start. Only those are kept, in drawing order.
  std::vector<Item> items;
  for_each_item(t, oncpu, op_order, op_depth, [&](const Item& it, const OnCpuSlice* slice) {
    if (it.end >= tl.begin && (excerpt ? it.start < tl.end : it.start <= tl.end)) {
      items.push_back(it);
      if (slice) items.back().row = static_cast<uint32_t>(oncpu_drawn.size()), oncpu_drawn.push_back(*slice);
      tl.started_before += it.start < tl.begin;
    }
  });

  // Lanes that have something inside the window.
  std::map<LaneKey, int> lane_y;
  for (auto& it : items) lane_y[it.lane] = 0;
  // A thread's lanes share its track name in the exports (its name and tid, once), with its pid
  // when the id has lanes under another process too (a reused id: review S41 L6, two lanes read
  // "x 8240 syscalls").
  std::map<int64_t, std::set<int64_t>> pids_of_tid;
  for (auto& [key, ly] : lane_y)
    if (std::get<0>(key) == 1) pids_of_tid[std::get<2>(key)].insert(std::get<1>(key));
  auto thread_lane = [&](int64_t pid, int64_t tid) {
    const std::optional<size_t> row = name_rows.row(pid, tid);
    std::string name = thread_track_name(row ? t.str(t.threads.comm[*row]) : std::string_view(), tid);
    if (pids_of_tid[tid].size() > 1) name += fmt::format(" (pid {})", pid);
    return name;
  };
  int y = 0;
  std::string labels;
  for (auto& [key, ly] : lane_y) {
    ly = y;
    const auto [group, a, b, kind, depth] = key;
    std::string name;
    switch (static_cast<LaneKind>(kind)) {
      case LaneKind::Cpu: name = fmt::format("CPU {}", a); break;
      case LaneKind::CpuIrq: name = fmt::format("CPU {} IRQs", a); break;
      case LaneKind::ThreadOps:
        name = fmt::format("{} ops{}", thread_lane(a, b), depth ? fmt::format(" +{}", depth) : "");
        break;
      case LaneKind::ThreadApi: name = thread_lane(a, b) + " CUDA API"; break;
      case LaneKind::ThreadSys: name = thread_lane(a, b) + " syscalls"; break;
      case LaneKind::Gpu: name = fmt::format("GPU {} stream {}", a, b); break;
    }
    const std::string shown = middle_ellipsis(name, kLaneLabelBytes);
    labels += fmt::format("<text class=\"lane\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}{}</text>", kLabelWidth - 6,
                          y + kLaneHeight - 4,
                          shown == name ? std::string() : "<title>" + escape(middle_ellipsis(name, kTooltipNameBytes)) + "</title>",
                          escape(shown));
    y += kLaneHeight + kLaneGap;
  }
  const int height = y;
  tl.lanes = lane_y.size();

  // Where an event starts, from the window's start: "+1.20 us", or for one that began before the
  // window (--timeline-at) "-3.00 us".
  auto offset_text = [&](ns_t start) {
    return start >= tl.begin ? "+" + format_ns(sat_sub(start, tl.begin)) : "-" + format_ns(sat_sub(tl.begin, start));
  };
  std::string marks;
  std::unordered_map<int64_t, const Item*> api_item;  // api row -> its item (for flows)
  for (auto& it : items) {
    const double x0 = tx(it.start), x1 = tx(it.end);
    marks += fmt::format(
        "<rect class=\"mark\" x=\"{:.2f}\" y=\"{}\" width=\"{:.3f}\" height=\"{}\" fill=\"{}\" stroke=\"{}\">"
        "<title>{} ({}, at {})</title></rect>",
        x0, lane_y[it.lane] + 1, std::max(x1 - x0, 0.0), kLaneHeight - 2, it.color, it.color,
        escape(middle_ellipsis(label(it), kTooltipNameBytes)), escape(duration_text(it)), escape(offset_text(it.start)));
    ++tl.events;
    if (it.api_row() >= 0) api_item[it.api_row()] = &it;
  }
  // Launch -> GPU flows, linked by correlation id, from the call the exports name as the launch
  // (analysis/launch.h launch_calls_of_gpu_rows: the call the analysis links the activity to).
  const std::vector<uint32_t> launch_of = launch_calls_of_gpu_rows(t);
  std::string flows;
  for (auto& it : items) {
    if (it.gpu_row() < 0) continue;
    const uint32_t c = launch_of[static_cast<size_t>(it.gpu_row())];
    if (c == kNoLaunchCall) continue;
    auto a = api_item.find(static_cast<int64_t>(c));
    if (a == api_item.end()) continue;
    flows += fmt::format("<line class=\"flow\" x1=\"{:.2f}\" y1=\"{}\" x2=\"{:.2f}\" y2=\"{}\"/>", tx(a->second->start),
                         lane_y[a->second->lane] + kLaneHeight / 2, tx(it.start), lane_y[it.lane] + kLaneHeight / 2);
    ++tl.flows;
  }

  const int plot_w = opt.width - kLabelWidth;
  tl.svg = fmt::format(
      "<div class=\"timeline\" data-begin-ns=\"{}\" data-end-ns=\"{}\">"
      "<div class=\"tl-bar\"><button data-zoom=\"in\">zoom in</button><button data-zoom=\"out\">zoom out</button>"
      "<button data-zoom=\"reset\">reset</button> <span class=\"tl-range\">{} shown</span> "
      "<span class=\"hint\">wheel: zoom, drag: pan, hover: details</span></div>"
      "<svg class=\"plot tl\" data-marks=\"{}\" width=\"{}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">{}"
      "<svg class=\"tl-view\" x=\"{}\" y=\"0\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "preserveAspectRatio=\"none\" data-full=\"{}\">{}<g class=\"flows\">{}</g></svg></svg></div>\n",
      tl.begin, tl.end, escape(format_ns(sat_sub(tl.end, tl.begin))), tl.events, opt.width, height, labels, kLabelWidth,
      plot_w, height, kViewWidth, height, kViewWidth, marks, flows);
  return tl;
}

}  // namespace infertrace::html
