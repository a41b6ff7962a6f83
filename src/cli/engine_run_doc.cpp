#include "cli/engine_run_doc.h"

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/read_whole_file.h"

namespace infertrace::cli {

namespace {

// A number that may be null in the document (no decode step): 0 then.
template <class T>
T number_or_zero(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? T{} : it->get<T>();
}

}  // namespace

EngineRunDoc read_engine_run(const std::string& path) {
  const std::string text = read_whole_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, -1,
                     std::string("not JSON (") + e.what() + "); expected the output of `infertrace engine run --json`");
  }
  if (!j.is_object() || !j.contains("backend") || !j.contains("n_decode_evals"))
    throw InputError(path, -1, "not an `infertrace engine run --json` document (no backend / n_decode_evals)");
  EngineRunDoc d;
  MeasuredRun& r = d.run;
  r.source = path;
  try {
    r.mode = j.value("mode", j["backend"].get<std::string>());
    r.n_seq = j.value("n_seq", int64_t{1});
    r.decode_steps = j["n_decode_evals"].get<int64_t>();
    r.tg_tokens_per_s = number_or_zero<double>(j, "tg_tokens_per_second");
    r.launches_per_step = number_or_zero<int64_t>(j, "launches_per_decode_step");
    r.kernels_per_step = number_or_zero<int64_t>(j, "kernels_per_decode_step");
    if (auto w = j.find("decode_window_ns"); w != j.end() && r.decode_steps > 0)
      d.window = TraceWindow{(*w)["start"].get<int64_t>(), (*w)["end"].get<int64_t>()};
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, -1, std::string("engine run document with an unexpected field: ") + e.what());
  }
  return d;
}

void cut_to_decode_window(Trace& trace, const std::string& trace_path, const TraceWindow& window,
                          const std::string& run_path) {
  try {
    restrict_to_window(trace, window);
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw InputError(trace_path, -1, "--decode-window " + run_path + ": " + e.what());
  }
}

}  // namespace infertrace::cli
