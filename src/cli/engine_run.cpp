#include "cli/engine_run.h"

#include <functional>
#include <iostream>

namespace infertrace::cli {

engine::GenerateResult generate_on_console(engine::Evaluator& evaluator, const engine::Tokenizer& tok,
                                           const std::vector<int32_t>& prompt, const RunArgs& a,
                                           engine::Sampler& sampler) {
  std::function<bool(int32_t)> eog;
  if (!a.ignore_eos) eog = [&](int32_t id) { return tok.is_eog(id); };
  std::function<void(int32_t)> stream;
  if (!a.json) {
    std::cout << tok.decode(prompt) << std::flush;
    stream = [&](int32_t id) { std::cout << tok.token_to_piece(id) << std::flush; };
  }
  return engine::generate(evaluator, prompt, a.n_predict, sampler, eog, stream);
}

}  // namespace infertrace::cli
