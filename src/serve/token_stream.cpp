#include "serve/token_stream.h"

namespace infertrace::serve {

const char* finish_name(Finish f) {
  switch (f) {
    case Finish::Length: return "length";
    case Finish::Stop: return "stop";
    case Finish::Cancelled: return "cancelled";
    case Finish::Error: return "error";
    case Finish::None: break;
  }
  return "";
}

void TokenStream::push(int32_t token, std::string text, Finish finish) {
  {
    std::lock_guard lk(mu_);
    pending_.push_back(token);
    pending_texts_.push_back(std::move(text));
    finish_ = finish;
  }
  cv_.notify_all();
}

void TokenStream::end(Finish finish, const std::string& error) {
  {
    std::lock_guard lk(mu_);
    finish_ = finish;
    error_ = error;
  }
  cv_.notify_all();
}

bool TokenStream::take(std::vector<int32_t>& out, std::chrono::milliseconds timeout, std::vector<std::string>* texts) {
  std::unique_lock lk(mu_);
  if (pending_.empty() && finish_ == Finish::None)
    cv_.wait_for(lk, timeout, [&] { return !pending_.empty() || finish_ != Finish::None; });
  out.insert(out.end(), pending_.begin(), pending_.end());
  pending_.clear();
  if (texts)
    for (std::string& t : pending_texts_) texts->push_back(std::move(t));
  pending_texts_.clear();
  return finish_ != Finish::None;
}

Finish TokenStream::finish() const {
  std::lock_guard lk(mu_);
  return finish_;
}

std::string TokenStream::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

}  // namespace infertrace::serve
