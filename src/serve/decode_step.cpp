#include "serve/decode_step.h"

#include <algorithm>

#include "util/error.h"

namespace infertrace::serve {

// For now one single-token Session::eval per sequence: each sequence reads every weight again, so
// a step costs about n x one sequence's decode (docs/serve.md "Scheduling").
std::span<const float> DecodeStep::step(std::span<engine::Session* const> sessions, std::span<const int32_t> tokens) {
  if (sessions.size() != tokens.size())
    throw Error("decode step: " + std::to_string(sessions.size()) + " sessions but " + std::to_string(tokens.size()) +
                " tokens");
  rows_.resize(sessions.size() * static_cast<size_t>(n_vocab_));
  for (size_t i = 0; i < sessions.size(); ++i) {
    const std::span<const float> logits = sessions[i]->eval(tokens.subspan(i, 1));
    std::copy(logits.begin(), logits.end(), rows_.begin() + static_cast<std::ptrdiff_t>(i * n_vocab_));
  }
  return rows_;
}

}  // namespace infertrace::serve
