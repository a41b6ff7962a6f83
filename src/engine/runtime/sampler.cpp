#include "engine/runtime/sampler.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

#include "util/error.h"

namespace infertrace::engine {

void check_finite(std::span<const float> logits) {
  // Counted by the exponent bits (all ones: Inf or NaN) so that the loop vectorises; it runs once
  // per sampled token over the vocabulary, next to a forward pass that reads every weight.
  size_t bad = 0;
  for (float v : logits) bad += (std::bit_cast<uint32_t>(v) & 0x7F800000u) == 0x7F800000u;
  if (bad == 0) return;
  size_t nan = 0;
  for (float v : logits) nan += std::isnan(v);
  throw Error("the model's logits are not finite (" + std::to_string(nan) + " NaN, " + std::to_string(bad - nan) +
              " infinite, of " + std::to_string(logits.size()) +
              " values): its weights hold NaN or Inf, or the forward pass overflowed; no token can be chosen");
}

int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = static_cast<int32_t>(i);
  return best;
}

Sampler::Sampler(SamplerOptions opt) : opt_(opt), rng_(opt.seed) {}

int32_t Sampler::sample(std::span<const float> logits) {
  check_finite(logits);
  if (opt_.temperature <= 0.0f) return argmax(logits);
  cand_.clear();
  for (size_t i = 0; i < logits.size(); ++i) cand_.emplace_back(logits[i], static_cast<int32_t>(i));
  auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  size_t k = cand_.size();
  if (opt_.top_k > 0 && static_cast<size_t>(opt_.top_k) < k) {
    k = opt_.top_k;
    std::partial_sort(cand_.begin(), cand_.begin() + k, cand_.end(), by_logit);
    cand_.resize(k);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  const float mx = cand_[0].first;
  double sum = 0;
  for (auto& c : cand_) {
    c.first = static_cast<float>(std::exp((c.first - mx) / opt_.temperature));
    sum += c.first;
  }
  double cum = 0;
  size_t keep = cand_.size();
  for (size_t i = 0; i < cand_.size(); ++i) {
    cum += cand_[i].first / sum;
    if (cum >= opt_.top_p) {
      keep = i + 1;
      break;
    }
  }
  double total = 0;
  for (size_t i = 0; i < keep; ++i) total += cand_[i].first;
  std::uniform_real_distribution<double> u(0.0, total);
  double r = u(rng_);
  for (size_t i = 0; i < keep; ++i) {
    r -= cand_[i].first;
    if (r <= 0) return cand_[i].second;
  }
  return cand_[keep - 1].second;
}

}  // namespace infertrace::engine
