// `infertrace model synth|info|tokenize|preset`: write synthetic GGUF models, inspect any GGUF, run
// a model's own tokenizer on text, and print a preset's shapes (the same "model" object `info --json`
// gives for a file, so scripts such as bench/transformers_decode.py build the same shapes).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <iostream>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli/output_file.h"
#include "cli/registry.h"
#include "engine/gguf/gguf.h"
#include "util/json_error.h"
#include "util/text_clean.h"
#include "util/utf8_cut.h"
#include "engine/model/model_config.h"
#include "engine/model/presets.h"
#include "engine/model/synth.h"
#include "engine/model/weights.h"
#include "engine/tokenizer/tokenizer.h"
#include "ingest/kineto/structure_scan.h"
#include "report/text_table.h"
#include "util/error.h"
#include "util/plural.h"
#include "util/read_whole_file.h"
#include "util/units.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

struct SynthArgs {
  std::string preset, dtype = "f16", out;
  uint64_t seed = 42;
  int threads = 0;
  bool json = false;
};

void run_synth(const SynthArgs& a) {
  // A negative count was silently "all CPUs", as 0 is.
  if (a.threads < 0) throw UsageError("-t must be >= 0 (0: all CPUs)");
  // More were silently 64, the generator's cap (review CA L8).
  if (a.threads > 64) throw UsageError("-t " + std::to_string(a.threads) + ": at most 64 threads generate weights");
  const engine::ModelPreset& preset = engine::find_preset(a.preset);
  // The output's directory checked before any weight is generated: a missing or unwritable one was
  // "X.partial: cannot create: ...", naming the scratch file (review CA L11).
  check_output_file(a.out, {}, "an input");
  engine::SynthOptions opt;
  const engine::WeightScheme scheme = engine::parse_weight_scheme(a.dtype);
  opt.dtype = scheme.base;
  opt.k_mix = scheme.k_mix;
  opt.seed = a.seed;
  opt.threads = a.threads;
  const engine::SynthResult r = engine::synth_model(preset, opt, a.out);
  if (a.json) {
    nlohmann::json j = {{"path", a.out},           {"preset", preset.name},      {"dtype", a.dtype},
                        {"seed", a.seed},          {"architecture", engine::arch_name(preset.config.arch)},
                        {"file_bytes", r.file_bytes}, {"n_params", r.n_params}, {"n_tensors", r.n_tensors},
                        {"seconds", r.seconds},
                        {"write_bytes_per_second", r.seconds > 0 ? r.file_bytes / r.seconds : 0.0}};
    std::cout << result_json_text(j) << "\n";
    return;
  }
  std::cout << "wrote " << a.out << ": " << preset.config.summary() << ", " << a.dtype << "\n"
            << "  " << format_count(r.n_params) << " parameters in " << r.n_tensors << " tensors, "
            << format_bytes(static_cast<double>(r.file_bytes)) << " in " << format_ns(r.seconds * 1e9) << " ("
            << format_bytes(r.file_bytes / std::max(r.seconds, 1e-9)) << "/s)\n"
            << "  random weights: the model loads and runs, its text is meaningless\n";
}

// A GGUF string as the terminal may show it (util/text_clean.h): the file's bytes are anything.
std::string printable(std::string_view raw) {
  bool changed = false;
  return clean_text(raw, changed);
}

std::string value_summary(const gguf::Value& v) {
  using gguf::ValueType;
  switch (v.type) {
    case ValueType::STRING: {
      const size_t keep = utf8_prefix_bytes(v.str, 60);  // 60 characters, never a cut inside one
      const std::string s = printable(std::string_view(v.str).substr(0, keep));
      return "\"" + s + (keep < v.str.size() ? "...\"" : "\"");
    }
    case ValueType::ARRAY: {
      std::string s = std::string("[") + gguf::value_type_name(v.elem_type) + " x " + std::to_string(v.items.size());
      if (!v.items.empty() && v.elem_type != ValueType::ARRAY) s += ": " + value_summary(v.items[0]) + (v.items.size() > 1 ? ", ..." : "");
      return s + "]";
    }
    case ValueType::BOOL: return v.num.u ? "true" : "false";
    case ValueType::FLOAT32:
    case ValueType::FLOAT64: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", v.num.f);
      return buf;
    }
    default: return v.is_integer() && (v.type == ValueType::INT8 || v.type == ValueType::INT16 || v.type == ValueType::INT32 || v.type == ValueType::INT64)
                        ? std::to_string(v.num.i)
                        : std::to_string(v.num.u);
  }
}

nlohmann::json value_json(const gguf::Value& v, bool full_arrays) {
  using gguf::ValueType;
  switch (v.type) {
    case ValueType::STRING: return std::string(v.str);
    case ValueType::BOOL: return v.num.u != 0;
    case ValueType::FLOAT32:
    case ValueType::FLOAT64: return v.num.f;
    case ValueType::INT8:
    case ValueType::INT16:
    case ValueType::INT32:
    case ValueType::INT64: return v.num.i;
    case ValueType::ARRAY: {
      nlohmann::json j = {{"type", gguf::value_type_name(v.elem_type)}, {"length", v.items.size()}};
      if (full_arrays) {
        nlohmann::json items = nlohmann::json::array();
        for (const gguf::Value& x : v.items) items.push_back(value_json(x, true));
        j["items"] = std::move(items);
      }
      return j;
    }
    default: return v.num.u;
  }
}

// The model configuration as `model info --json` and `model preset --json` print it.
nlohmann::json model_json(const engine::ModelConfig& c) {
  return {{"architecture", engine::arch_name(c.arch)}, {"n_layer", c.n_layer}, {"n_embd", c.n_embd},
          {"n_head", c.n_head}, {"n_head_kv", c.n_head_kv}, {"head_dim", c.head_dim}, {"n_ff", c.n_ff},
          {"n_vocab", c.n_vocab}, {"n_ctx_train", c.n_ctx_train}, {"rope_freq_base", c.rope_freq_base},
          {"rope_dim", c.rope_dim}, {"rope_type", engine::rope_type_name(c.rope_type)},
          {"rms_eps", c.rms_eps}, {"tied_output", c.tied_output}};
}

void run_preset(const std::optional<std::string>& given, bool json) {
  // `model preset ''` names no preset: a usage error, not the list (which is for no name at all).
  if (given && given->empty()) throw UsageError("model preset: empty preset name (leave it out to list every preset)");
  const std::string name = given.value_or("");
  if (name.empty()) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& p : engine::model_presets()) {
      if (json) all.push_back({{"name", p.name}, {"description", p.description}, {"model", model_json(p.config)}});
      else std::cout << p.name << ": " << p.description << "\n";
    }
    if (json) std::cout << result_json_text(all) << "\n";
    return;
  }
  const engine::ModelPreset& p = engine::find_preset(name);
  if (json) {
    nlohmann::json j = {{"name", p.name}, {"description", p.description}, {"model", model_json(p.config)}};
    std::cout << result_json_text(j) << "\n";
    return;
  }
  std::cout << p.name << ": " << p.config.summary() << "\n";
}

void run_info(const std::string& path, bool json, bool show_tensors) {
  const gguf::File f = gguf::File::open(path);
  std::unique_ptr<engine::ModelConfig> config;
  std::string config_error;
  try {
    config = std::make_unique<engine::ModelConfig>(engine::ModelConfig::from_gguf(f));
    engine::ModelWeights::bind(f, *config);  // checks every shape and type, and overlapping data
    // engine run reads the vocabulary next (after the weights, so a file wrong in both gets the
    // weights' message there and here): its checks (a missing token list or tokenizer model, a
    // bos/eos id outside the vocabulary) are reasons the engine cannot run the file too.
    engine::Tokenizer::from_gguf(f);
  } catch (const Error& e) {
    config_error = e.what();
  }
  // Overlapping tensor data (gguf::find_data_overlaps): said whatever else is wrong with the file.
  const gguf::DataOverlaps overlaps = gguf::find_data_overlaps(f.tensors());
  uint64_t tensor_bytes = 0;
  for (const auto& t : f.tensors()) tensor_bytes += t.n_bytes;
  if (json) {
    nlohmann::json j;
    j["path"] = path;
    j["version"] = f.version();
    j["alignment"] = f.alignment();
    j["file_bytes"] = f.file_size();
    j["data_offset"] = f.data_offset();
    j["tensor_bytes"] = tensor_bytes;
    nlohmann::json md = nlohmann::json::object();
    for (const auto& kv : f.metadata()) md[std::string(kv.key)] = {{"type", gguf::value_type_name(kv.value.type)}, {"value", value_json(kv.value, false)}};
    j["metadata"] = std::move(md);
    nlohmann::json ts = nlohmann::json::array();
    for (const auto& t : f.tensors()) {
      std::vector<int64_t> ne(t.ne, t.ne + t.n_dims);
      ts.push_back({{"name", std::string(t.name)}, {"type", gguf::type_name(static_cast<uint32_t>(t.type))},
                    {"ne", ne}, {"offset", t.file_offset}, {"bytes", t.n_bytes}});
    }
    j["tensors"] = std::move(ts);
    if (config) j["model"] = model_json(*config);
    if (!config_error.empty()) j["model_error"] = config_error;
    j["overlapping_tensors"] = overlaps.n_tensors;
    // Keys and strings are the file's bytes: invalid UTF-8 becomes U+FFFD instead of an error.
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  std::cout << path << ": GGUF v" << f.version() << ", " << f.metadata().size() << " metadata keys, "
            << f.tensors().size() << " tensors, " << format_bytes(static_cast<double>(tensor_bytes))
            << " of tensor data, alignment " << f.alignment() << "\n";
  if (config) std::cout << "model: " << config->summary() << "\n";
  // Tensor types with counts, in order of first appearance: a Q4_K_M file is a mix (q4_K, q6_K).
  std::vector<std::pair<std::string, int>> types;
  for (const auto& t : f.tensors()) {
    const std::string n = gguf::type_name(static_cast<uint32_t>(t.type));
    auto it = std::find_if(types.begin(), types.end(), [&](const auto& p) { return p.first == n; });
    if (it == types.end()) types.emplace_back(n, 1);
    else ++it->second;
  }
  if (!types.empty()) {
    std::cout << "tensor types:";
    for (size_t i = 0; i < types.size(); ++i)
      std::cout << (i ? ", " : " ") << types[i].second << " " << types[i].first;
    std::cout << "\n";
  }
  if (!config_error.empty()) std::cout << "not runnable by the engine: " << config_error << "\n";
  if (overlaps.n_tensors > 0)
    std::cout << "warning: tensor data overlaps: " << gguf::describe_data_overlaps(f.tensors(), overlaps) << "\n";
  TextTable md({"key", "type", "value"}, {TextTable::Align::Left, TextTable::Align::Left, TextTable::Align::Left});
  for (const auto& kv : f.metadata()) md.add_row({printable(kv.key), gguf::value_type_name(kv.value.type), value_summary(kv.value)});
  md.print(std::cout, "metadata");
  if (show_tensors) {
    TextTable tt({"tensor", "type", "shape", "bytes", "offset"});
    for (const auto& t : f.tensors())
      tt.add_row({printable(t.name), gguf::type_name(static_cast<uint32_t>(t.type)), t.shape_string(),
                  format_bytes(static_cast<double>(t.n_bytes)), std::to_string(t.file_offset)});
    tt.print(std::cout, "tensors");
  }
}

// --batch FILE: a JSON array of strings in, one {"ids", "detokenized"} object per string out, for
// comparing with another tokenizer over many strings in one process (bench/tokenizer_compare.sh).
void run_tokenize_batch(const engine::Tokenizer& tok, const std::string& batch, bool no_bos, bool special) {
  const std::string in = read_whole_file(batch, "--batch");  // a missing file is exit 1, as -m's
  nlohmann::json strings;
  try {
    strings = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's text without its "[json.exception.parse_error.101] " tag: it says where and why
    // (a lone surrogate, a missing quote), which "expects a JSON array of strings" did not.
    throw InputError(batch, static_cast<int64_t>(e.byte) - 1, "--batch is not valid JSON: " + json_error_text(e.what()));
  }
  if (!strings.is_array())
    throw InputError(batch, -1, std::string("--batch expects a JSON array of strings, found a JSON ") + strings.type_name());
  // Every element is checked before any is encoded: the error names the first that is no string,
  // counted from 0 as JSON arrays index.
  for (size_t i = 0; i < strings.size(); ++i) {
    if (strings[i].is_string()) continue;
    const std::string type = strings[i].type_name();  // null, boolean, number, object, array
    const std::string what = type == "null" ? "null" : (type == "object" || type == "array" ? "an " : "a ") + type;
    throw InputError(batch, -1, "--batch expects a JSON array of strings: element " + std::to_string(i) +
                                    " (counted from 0) is " + what);
  }
  nlohmann::json out = nlohmann::json::array();
  for (const nlohmann::json& s : strings) {
    const std::string& text = s.get_ref<const std::string&>();
    const std::vector<int32_t> ids = no_bos ? tok.encode(text, false, special) : tok.encode_prompt(text, special);
    out.push_back({{"ids", ids}, {"detokenized", tok.detokenize(ids, special)}});
  }
  std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void run_tokenize(const std::string& path, const std::string& text, const std::string& batch, bool no_bos, bool special,
                  bool json) {
  const gguf::File f = gguf::File::open(path);
  const engine::Tokenizer tok = engine::Tokenizer::from_gguf(f);
  if (const std::string w = tok.approximation_warning(); !w.empty()) std::cerr << "warning: " << w << "\n";
  if (!batch.empty()) return run_tokenize_batch(tok, batch, no_bos, special);
  if (json) {
    // JSON holds text only as UTF-8: a prompt of other bytes has no faithful "decoded" there (the
    // table shows them as they are). Before: nlohmann's bare "invalid UTF-8 byte at index 0".
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    if (const size_t bad = kineto::first_invalid_utf8(bytes, text.size()); bad < text.size()) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", bytes[bad]);
      throw UsageError("model tokenize -p: the prompt is not valid UTF-8 (byte " + std::to_string(bad) + " is " + hex +
                       "), which --json cannot hold; without --json the tokens are listed");
    }
  }
  const std::vector<int32_t> ids = no_bos ? tok.encode(text, false, special) : tok.encode_prompt(text, special);
  const std::string back = tok.decode(ids, special);
  if (json) {
    nlohmann::json pieces = nlohmann::json::array();
    for (int32_t id : ids) pieces.push_back(tok.vocab().tokens[static_cast<size_t>(id)]);
    nlohmann::json j = {{"model", tok.vocab().model == engine::Vocab::Model::Bpe ? "gpt2" : "llama"},
                        {"n_tokens", ids.size()}, {"ids", ids}, {"pieces", pieces}, {"decoded", back},
                        {"detokenized", tok.detokenize(ids, special)}};
    // Pieces come from the model file, whose strings may be any bytes: replaced, as in `model info`.
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  TextTable t({"#", "id", "piece"}, {TextTable::Align::Right, TextTable::Align::Right, TextTable::Align::Left});
  for (size_t i = 0; i < ids.size(); ++i)
    t.add_row({std::to_string(i), std::to_string(ids[i]), tok.vocab().tokens[static_cast<size_t>(ids[i])]});
  t.print(std::cout, std::to_string(ids.size()) + " " + plural(static_cast<int64_t>(ids.size()), "token", "tokens"));
  std::cout << "decoded: " << back << "\n";
}

const CommandRegistrar reg(700, "model", [](CLI::App& app) {
  auto* model = app.add_subcommand("model", "GGUF models: write synthetic ones, inspect, tokenize");
  model->require_subcommand(1);

  auto a = std::make_shared<SynthArgs>();
  auto* synth = model->add_subcommand("synth", "Write a GGUF with a preset's exact shapes and seeded random weights");
  std::string presets_help = "Model shapes:";
  for (const auto& p : engine::model_presets()) presets_help += "\n  " + p.name + ": " + p.description;
  presets_help += "\n  tiny: same as tiny-qwen3";
  synth->add_option("--preset", a->preset, presets_help)->required();
  synth->add_option("--dtype", a->dtype, "Matrix weight type as llama.cpp's file types: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k_m, q5_k_m, q6_k (norms stay f32; llama-quantize's per-tensor rules)")->capture_default_str();
  synth->add_option("--seed", a->seed, "Random seed (the file depends only on preset, dtype and seed)")->capture_default_str();
  synth->add_option("-t,--threads", a->threads, "Threads generating weights (0: all CPUs; at most 64)")->capture_default_str();
  synth->add_option("-o,--output", a->out, "Output .gguf path")->required();
  synth->add_flag("--json", a->json, "Print the result as JSON");
  synth->callback([a] {
    refuse_dash(a->out, "-o", "a GGUF model (read back by -m FILE)");  // made a file called - (review CX L9)
    run_synth(*a);
  });

  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto tensors = std::make_shared<bool>(false);
  auto* info = model->add_subcommand("info", "Show a GGUF's metadata, tensors and model configuration");
  info->add_option("file", *path, "GGUF file")->required();
  info->add_flag("--tensors", *tensors, "List every tensor");
  info->add_flag("--json", *json, "Machine-readable output (every tensor included)");
  info->callback([path, json, tensors] { run_info(*path, *json, *tensors); });

  auto pname = std::make_shared<std::string>();
  auto pjson = std::make_shared<bool>(false);
  auto* preset = model->add_subcommand("preset", "Show a preset's model shapes (all presets without a name)");
  preset->add_option("name", *pname, "Preset name (e.g. qwen3-0.6b)");
  preset->add_flag("--json", *pjson, "Machine-readable: {name, description, model}, `model` as in `model info --json` (without a name: a list of them)");
  preset->callback([pname, pjson, preset] {
    run_preset(preset->count("name") ? std::optional<std::string>(*pname) : std::nullopt, *pjson);
  });

  auto tpath = std::make_shared<std::string>();
  auto text = std::make_shared<std::string>();
  auto no_bos = std::make_shared<bool>(false);
  auto special = std::make_shared<bool>(false);
  auto tjson = std::make_shared<bool>(false);
  auto* tokenize = model->add_subcommand("tokenize", "Encode text with a GGUF's own tokenizer and decode it back");
  tokenize->add_option("-m,--model", *tpath, "GGUF file")->required();
  auto batch = std::make_shared<std::string>();
  auto* prompt_opt = tokenize->add_option("-p,--prompt", *text, "Text to encode");
  auto* batch_opt = tokenize->add_option("--batch", *batch,
                                         "JSON file holding an array of strings: prints a JSON array of "
                                         "{ids, detokenized}, one per string");
  prompt_opt->excludes(batch_opt);
  tokenize->add_flag("--no-bos", *no_bos, "Add neither BOS nor EOS (llama.cpp's add_special = false)");
  tokenize->add_flag("--special", *special, "Recognise control tokens written in the text (<s>, <|im_start|>, ...)");
  tokenize->add_flag("--json", *tjson, "Machine-readable output");
  tokenize->callback([tpath, text, batch, no_bos, special, tjson, prompt_opt, batch_opt] {
    if (prompt_opt->count() == 0 && batch_opt->count() == 0) throw UsageError("model tokenize: give -p TEXT or --batch FILE");
    run_tokenize(*tpath, *text, *batch, *no_bos, *special, *tjson);
  });
});

}  // namespace

}  // namespace infertrace::cli
