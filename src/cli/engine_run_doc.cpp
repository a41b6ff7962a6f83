#include "cli/engine_run_doc.h"

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "analysis/decode_window_check.h"
#include "report/json_brief.h"
#include "util/json_error.h"
#include "util/error.h"
#include "util/json_int.h"
#include "util/read_whole_file.h"
#include "util/text_clean.h"

namespace infertrace::cli {

namespace {

// A count or timestamp of the document: `engine run --json` writes these as integers. Anything
// else is refused, a float above all (util/json_int.h).
int64_t whole(const nlohmann::json& v, const std::string& key, const std::string& path) {
  if (const std::optional<int64_t> x = json_int_exact(v)) return *x;
  throw InputError(path, -1, "engine run document: \"" + key + "\" must be a whole number, not " + json_brief(v));
}

// A whole number of the document that cannot be below `min` (a batch of 0 sequences, a negative
// count): the readers divide by n_seq and use it as sweep's batch size, so it is refused here.
int64_t whole_at_least(const nlohmann::json& v, const std::string& key, int64_t min, const std::string& path) {
  const int64_t x = whole(v, key, path);
  if (x < min)
    throw InputError(path, -1, "engine run document: \"" + key + "\" must be at least " + std::to_string(min) +
                                   ", not " + std::to_string(x));
  return x;
}

// A number that may be null or absent in the document (no decode step): 0 then.
double number_or_zero(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? 0.0 : it->get<double>();
}
int64_t whole_or_zero(const nlohmann::json& j, const char* key, const std::string& path) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? 0 : whole_at_least(*it, key, 0, path);
}

}  // namespace

EngineRunDoc read_engine_run(const std::string& path) { return parse_engine_run(read_whole_file(path), path); }

EngineRunDoc parse_engine_run(std::string_view text, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path, static_cast<int64_t>(e.byte > 0 ? e.byte - 1 : 0),
                     "not JSON (" + json_error_text(e.what()) + "); expected the output of `infertrace engine run --json`");
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, -1,
                     "not JSON (" + json_error_text(e.what()) + "); expected the output of `infertrace engine run --json`");
  }
  if (!j.is_object() || !j.contains("backend") || !j.contains("n_decode_evals"))
    throw InputError(path, -1, "not an `infertrace engine run --json` document (no backend / n_decode_evals)");
  EngineRunDoc d;
  MeasuredRun& r = d.run;
  r.source = clean_text(path);  // shown in JSON: a file name that is not UTF-8 reads ? there
  try {
    r.mode = j.value("mode", j["backend"].get<std::string>());
    r.n_seq = j.contains("n_seq") ? whole_at_least(j["n_seq"], "n_seq", 1, path) : 1;
    r.decode_steps = whole_at_least(j["n_decode_evals"], "n_decode_evals", 0, path);
    r.tg_tokens_per_s = number_or_zero(j, "tg_tokens_per_second");
    r.launches_per_step = whole_or_zero(j, "launches_per_decode_step", path);
    r.kernels_per_step = whole_or_zero(j, "kernels_per_decode_step", path);
    if (auto w = j.find("decode_window_ns"); w != j.end() && r.decode_steps > 0) {
      d.window = TraceWindow{whole((*w)["start"], "decode_window_ns.start", path),
                             whole((*w)["end"], "decode_window_ns.end", path)};
      // The file's content is wrong, not the option: named here, exit 1 (review CX L7).
      // The engine stamps CLOCK_MONOTONIC, never negative (review DW L5).
      if (d.window->from < 0)
        throw InputError(path, -1, "decode_window_ns: start " + std::to_string(d.window->from) +
                                       " ns is negative; the engine's stamps are CLOCK_MONOTONIC nanoseconds");
      if (d.window->from > d.window->to)
        throw InputError(path, -1, "decode_window_ns: start " + std::to_string(d.window->from) +
                                       " ns is after its end " + std::to_string(d.window->to) + " ns");
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, -1, std::string("engine run document with an unexpected field: ") + e.what());
  }
  return d;
}

std::vector<std::string> cut_to_decode_window(Trace& trace, const std::string& trace_path, const EngineRunDoc& run,
                                              const std::string& run_path) {
  const TraceWindow& window = *run.window;
  // restrict_to_window keeps a trace without CUDA work as it is (nothing to miss); here that is a
  // mistake: fusion and sweep analyse CUDA launches, and their figures ("0 kernels") would look
  // like a result of the run, with no way to check that the window is of this trace at all.
  if (trace.api.size() + trace.gpu.size() == 0)
    throw InputError(trace_path, -1,
                     "--decode-window " + run_path + ": the trace has no CUDA API calls and no GPU activities (a "
                     "CPU-only run, or a recording made without --cuda): there are no decode steps' launches to "
                     "cut out, and the window cannot be checked against it");
  const CudaWorkSpan before = cuda_work_span(trace);
  try {
    restrict_to_window(trace, window);
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw InputError(trace_path, -1, "--decode-window " + run_path + ": " + e.what());
  }
  return decode_window_doubts(trace, before, window,
                              DecodeRunCounts{run.run.decode_steps, run.run.kernels_per_step, run.run.launches_per_step});
}

}  // namespace infertrace::cli
