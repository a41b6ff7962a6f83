// Reads a saved `engine run --json` document (docs/engine.md, docs/engine-cuda.md) for the
// verbs that compare a trace with the run that produced it: `fusion --decode-window/--measured`,
// `sweep --decode-window`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/fusion_loop.h"
#include "analysis/trace_window.h"

namespace infertrace::cli {

struct EngineRunDoc {
  MeasuredRun run;                    // mode "cpu" for the CPU backend's documents
  std::optional<TraceWindow> window;  // decode_window_ns, when the run decoded
};

// Throws InputError for a file that is not an engine run document (names the missing key).
EngineRunDoc read_engine_run(const std::string& path);
// The same for the document's text already read; `path` names it in errors (fuzz/fuzz_side_json.cpp).
EngineRunDoc parse_engine_run(std::string_view text, const std::string& path);

// restrict_to_window for `--decode-window RUN.json`: a window that keeps none of the trace's
// CUDA work, and a trace with no CUDA work at all, are an InputError naming the trace and the
// run's file (exit 1); a reversed window stays a UsageError (exit 2). Returns the doubts
// (analysis/decode_window_check.h) about a window that keeps some: fusion and sweep print them.
std::vector<std::string> cut_to_decode_window(Trace& trace, const std::string& trace_path, const EngineRunDoc& run,
                                              const std::string& run_path);

}  // namespace infertrace::cli
