#include "serve/load/load_runner.h"

#include <httplib.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <system_error>
#include <thread>

#include "serve/load/error_detail.h"
#include "serve/load/sse_parser.h"
#include "util/error.h"

namespace infertrace::serve::load {

using Clock = std::chrono::steady_clock;

void parse_base_url(const std::string& url, std::string* host, int* port) {
  // An IPv6 literal in brackets, also IPv4-mapped ([::ffff:127.0.0.1]) and with a zone written
  // %25 as RFC 6874 has it ([fe80::1%25eth0]), the forms `serve` prints (review CT L3).
  static const std::regex re(
      R"(^http://([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+(%25[A-Za-z0-9._~-]+)?\]):([0-9]{1,5})/?$)");
  std::smatch m;
  if (!std::regex_match(url, m, re)) throw UsageError("--url must be http://HOST:PORT, got '" + url + "'");
  int p = std::stoi(m[3].str());
  if (p < 1 || p > 65535) throw UsageError("--url port out of range: '" + url + "'");
  *host = m[1].str();
  if (host->front() == '[') {
    *host = host->substr(1, host->size() - 2);
    if (const size_t zone = host->find("%25"); zone != std::string::npos) host->erase(zone + 1, 2);  // %25 is '%'
  }
  *port = p;
}

namespace {

// connect_s (at most timeout_s) bounds the connect alone: see do_request.
std::unique_ptr<httplib::Client> make_client(const std::string& url, double timeout_s, double connect_s) {
  std::string host;
  int port = 0;
  parse_base_url(url, &host, &port);
  auto c = std::make_unique<httplib::Client>(host, port);
  const auto csec = static_cast<time_t>(connect_s);
  c->set_connection_timeout(csec, static_cast<time_t>((connect_s - static_cast<double>(csec)) * 1e6));
  const auto sec = static_cast<time_t>(timeout_s);
  const auto usec = static_cast<time_t>((timeout_s - static_cast<double>(sec)) * 1e6);
  // Reads and writes get a second more than the timeout: the watchdog enforces the timeout over the
  // whole request (first byte to [DONE]) and names it; these only back it up.
  c->set_read_timeout(sec + 1, usec);
  c->set_write_timeout(sec + 1, usec);
  return c;
}

// Why a connection to the base URL failed, in words (cpp-httplib says only "Connection": review DJ L2).
std::string connection_error_detail(const std::string& url, double connect_s) {
  std::string host;
  int port = 0;
  parse_base_url(url, &host, &port);
  return connect_error_detail(host, port, connect_s);
}

// Picks the base URL with the fewest requests in flight; ties go round-robin. *seen receives the
// counts it chose from (the report keeps them per request, so a test can check every choice).
class Balancer {
 public:
  explicit Balancer(size_t n) : in_flight_(n, 0) {}
  size_t acquire(std::vector<int>* seen) {
    std::lock_guard<std::mutex> lock(mu_);
    *seen = in_flight_;
    const size_t n = in_flight_.size();
    size_t best = n;
    for (size_t k = 0; k < n; ++k) {
      size_t i = (next_ + k) % n;
      if (best == n || in_flight_[i] < in_flight_[best]) best = i;
    }
    next_ = (best + 1) % n;
    ++in_flight_[best];
    return best;
  }
  void release(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_[i];
  }

 private:
  std::mutex mu_;
  std::vector<int> in_flight_;
  size_t next_ = 0;
};

// What the point shares between its request threads and its watchdog.
struct Shared {
  const Target* target;
  const ModelInfo* model;
  const PointSpec* spec;
  Clock::time_point t0;
  Balancer balancer;
  std::atomic<bool> window_closed{false};
  // The --duration window's end (max() without one): the closer thread sets window_closed at it, but
  // can wake late on a loaded machine, so the clock is read too (review SB2 L1).
  Clock::time_point window_end = Clock::time_point::max();
  // Whether the requests in flight at the window's close finish (PointSpec::drain) rather than stop.
  bool drain = false;
  // Set when the point must stop at once (a request thread could not be started): every request in
  // flight stops, drained or not, counted as incomplete.
  std::atomic<bool> abort{false};
  // In-flight clients, so the watchdog can stop one past its timeout or at the window's end.
  std::mutex mu;
  struct Slot {
    httplib::Client* client;
    Clock::time_point deadline;
    std::atomic<int>* stop_reason;  // 0 running, 1 past its timeout, 2 window closed
  };
  std::vector<Slot*> slots;
  explicit Shared(size_t n) : balancer(n) {}
};

int64_t since(const Shared& s, Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t - s.t0).count();
}

bool window_over(const Shared& s, Clock::time_point now) { return s.window_closed.load() || now >= s.window_end; }

// Whether requests in flight stop now: at the window's close unless it is drained, or on an abort.
bool stops_in_flight(const Shared& s, Clock::time_point now) {
  return s.abort.load() || (!s.drain && window_over(s, now));
}

// Sends one request and streams its response into `r` (start_ns set here, at the send).
void do_request(Shared& s, uint64_t index, RequestSample& r) {
  const size_t which = s.balancer.acquire(&r.in_flight_at_pick);
  r.url = which;
  // A connect never outlasts the --duration window: stopping a client whose connect is pending
  // waits for that connect (cpp-httplib holds its socket lock through it), so to a listener that
  // never accepts (its backlog full) one pending connect held the watchdog, and with it the whole
  // point, until --timeout (review SB2 L2).
  // The bound ends a little after the close (its timer's resolution could end it just before, and
  // the request would count as a connect error instead of cut by the window).
  // Drained, a request sent before the close may connect for as long as its --timeout allows.
  double connect_s = s.spec->timeout_s;
  if (s.window_end != Clock::time_point::max() && !s.drain)
    connect_s = std::clamp(std::chrono::duration<double>(s.window_end - Clock::now()).count() + 0.1, 0.001, connect_s);
  auto client = make_client(s.target->base_urls[which], s.spec->timeout_s, connect_s);
  std::atomic<int> stop_reason{0};
  bool stream_error = false, malformed = false, done = false;
  int64_t done_ns = 0;  // when data: [DONE] arrived: the end of the stream, whenever the server closes
  std::string first_event_problem;  // the first error or malformed event's message
  int64_t usage_tokens = -1;
  SseParser parser([&](const SseEvent& ev) {
    if (done) return;  // the stream ended at [DONE]: what a read brought after it is not part of it
    const int64_t now = since(s, Clock::now());
    if (ev.prompt_tokens >= 0) r.server_prompt_tokens = ev.prompt_tokens;
    switch (ev.kind) {
      case SseKind::kToken:
        r.token_ns.push_back(now);
        if (ev.completion_tokens >= 0) usage_tokens = ev.completion_tokens;
        break;
      case SseKind::kUsage: usage_tokens = ev.completion_tokens; break;
      case SseKind::kNoToken:
        if (ev.completion_tokens >= 0) usage_tokens = ev.completion_tokens;
        break;
      case SseKind::kDone:  // (the first: events after it are ignored above)
        done_ns = now;
        done = true;
        break;
      case SseKind::kError:
        if (!stream_error && !malformed) first_event_problem = ev.message;
        stream_error = true;
        break;
      case SseKind::kMalformed:
        if (!stream_error && !malformed) first_event_problem = ev.message;
        malformed = true;
        break;
    }
  });
  std::string err_body;
  int status = 0;
  // Whether the --duration window has closed on this request: then it stops at whatever comes next
  // (headers or data), by itself. The watchdog stops it too, but can be held up (stopping a client
  // whose connect is pending waits for that connect), and meanwhile a stream would go on to
  // complete after the close.
  const auto cut_by_window = [&] {
    if (!stops_in_flight(s, Clock::now())) return false;
    int running = 0;
    stop_reason.compare_exchange_strong(running, 2);
    return true;
  };
  // Past the request's --timeout it stops at whatever comes next too, and takes none of it: a
  // [DONE] that arrives late is no completion (review SV L1: the watchdog, polling every 5 ms, let
  // a stream whose end came within those 5 ms complete with an E2E past the timeout). The watchdog
  // still stops a request that receives nothing. Set with the slot below.
  Clock::time_point deadline = Clock::time_point::max();
  const auto cut_by_deadline = [&] {
    if (Clock::now() < deadline) return false;
    int running = 0;
    stop_reason.compare_exchange_strong(running, 1);
    return true;
  };
  httplib::Request req;
  req.method = "POST";
  req.path = s.spec->endpoint == Endpoint::kChat ? "/v1/chat/completions" : "/v1/completions";
  req.body = request_body(*s.model, *s.spec, index);
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "text/event-stream");
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (cut_by_window()) return false;  // what arrived after the close is not part of the point
    if (cut_by_deadline()) return false;
    if (status != 0 && status != 200) {
      // Only the start of an error body is kept: the detail is cut to one short line anyway, and a
      // misbehaving server can send any amount (the transfer still runs to its end or timeout).
      constexpr size_t kKeep = 64 << 10;
      if (err_body.size() < kKeep) err_body.append(data, std::min(len, kKeep - err_body.size()));
    } else {
      parser.feed(std::string_view(data, len));
    }
    // Reading stops at [DONE] (the client closes the connection): a server holding it open after
    // the stream ended would otherwise hold a closed-loop worker's next request back.
    return stop_reason.load() == 0 && !done;
  };
  req.response_handler = [&](const httplib::Response& res) {
    status = res.status;
    return !cut_by_window() && !cut_by_deadline();
  };
  deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.spec->timeout_s));
  Shared::Slot slot{client.get(), deadline, &stop_reason};
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.slots.push_back(&slot);
  }
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const auto send_at = Clock::now();
  if (window_over(s, send_at)) {
    // The window closed before this request went out (its sender thread started late: a loaded
    // machine, or a rate the sender cannot keep): not sent, with no send time to enter
    // send_lateness with (review SB2 M1: 74 of 78 requests of a 10 ms point went out after it).
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.slots.erase(std::find(s.slots.begin(), s.slots.end(), &slot));
    }
    s.balancer.release(which);
    r.not_sent = true;
    return;
  }
  r.start_ns = since(s, send_at);
  errno = 0;  // read_error_detail reads what cpp-httplib's failed read leaves
  const bool sent = client->send(req, res, err);
  const int send_errno = errno;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.slots.erase(std::find(s.slots.begin(), s.slots.end(), &slot));
  }
  if (sent && res.status == 200) parser.finish();
  // Still unfinished when the window closed: cut by it, whatever ended the transfer after the close
  // (a connect bounded by the window above fails just after it, perhaps before the watchdog marks it).
  if (!done) (void)cut_by_window();
  // E2E ends with the stream ([DONE]), not when the transfer ends: after [DONE] the receiver
  // cancels it (send() then reports Canceled), and a watchdog stop or a transport error after
  // [DONE] (a chunked body cut before its last chunk) changes nothing: the stream was whole.
  r.end_ns = done ? done_ns : since(s, Clock::now());
  // In flight at the close and let finish: the output counts how many the drain waited for.
  r.drained = s.drain && s.window_end != Clock::time_point::max() && r.end_ns > since(s, s.window_end);
  s.balancer.release(which);
  r.tokens = usage_tokens >= 0 ? usage_tokens : static_cast<int64_t>(r.token_ns.size());
  if (stop_reason.load() == 2 && !done) {  // a stream that reached [DONE] completed, however late it was stopped
    r.incomplete = true;
  } else if (stop_reason.load() == 1 && !done) {
    r.error = "timeout";
    char why[64];
    std::snprintf(why, sizeof why, "no end of stream within %g s of the send", s.spec->timeout_s);
    r.error_detail = why;
  } else if (!sent && !done) {
    r.error = (err == httplib::Error::Connection || err == httplib::Error::ConnectionTimeout) ? "connect"
              : (err == httplib::Error::Read)                                                ? "read"
                                                                                             : "transport";
    // "Read" alone said nothing (review SL L4): what had come, and whether the connection was reset.
    r.error_detail = err == httplib::Error::Read         ? read_error_detail(status, r.token_ns.size(), send_errno)
                     : err == httplib::Error::Connection ? connection_error_detail(s.target->base_urls[which], std::min(connect_s, 1.0))
                     : err == httplib::Error::ConnectionTimeout ? connect_timeout_detail(connect_s, connect_s < s.spec->timeout_s)
                                                                : short_detail(httplib::to_string(err));
  } else if (!done && res.status != 200) {  // ([DONE] was parsed, so the status was 200)
    r.error = "http_" + std::to_string(res.status);
    // A status with a body in `res` (no content receiver ran) or streamed through it.
    r.error_detail = error_detail_of_body(err_body.empty() ? res.body : err_body);
  } else if (stream_error) {
    r.error = "stream_error";
    r.error_detail = short_detail(first_event_problem);
  } else if (malformed || !done || r.token_ns.empty()) {
    r.error = "malformed_stream";
    r.error_detail = malformed         ? short_detail(first_event_problem)
                     : !done           ? std::string("the stream ended without data: [DONE]")
                                       : std::string("the stream had no token event");
  }
  // With several URLs the detail names the one that failed (review BS M4).
  if (!r.error.empty() && s.target->base_urls.size() > 1) r.error_detail = s.target->base_urls[which] + ": " + r.error_detail;
}

// Stops clients past their deadline, and every client once the window has closed.
void watchdog(Shared& s, const std::atomic<bool>& finished) {
  while (!finished.load()) {
    {
      std::lock_guard<std::mutex> lock(s.mu);
      const auto now = Clock::now();
      const bool closed = stops_in_flight(s, now);
      // Every due request is marked before any client is stopped: a stop can wait (on a pending
      // connect), and a marked request's receiver ends its transfer at its next data by itself.
      std::vector<httplib::Client*> due;
      for (auto* sl : s.slots) {
        if (closed || now >= sl->deadline) {
          int running = 0;
          sl->stop_reason->compare_exchange_strong(running, closed ? 2 : 1);
          due.push_back(sl->client);
        }
      }
      for (auto* c : due) c->stop();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

const char* endpoint_name(Endpoint e) { return e == Endpoint::kChat ? "chat" : "completions"; }

namespace {

// Words for chat prompts: common English words, each one token (with its leading space) in
// GPT-2-style and SentencePiece vocabularies alike.
constexpr const char* kPromptWords[] = {
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
    "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
    "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would",
    "who", "so", "no", "she", "other", "its", "may", "these", "what", "them", "than", "some", "him", "time",
    "into", "only", "do", "new", "about"};

}  // namespace

std::vector<std::string> chat_prompt_words() { return {std::begin(kPromptWords), std::end(kPromptWords)}; }

std::string request_body(const ModelInfo& model, const PointSpec& spec, uint64_t index) {
  nlohmann::json b;
  if (!model.id.empty()) b["model"] = model.id;
  // Seeded by the seed, the point's position in the sweep and the request's index, all three whole
  // (seed_seq takes 32-bit words): before, `seed * 1000003 + index` gave request i of every point
  // the same prompt, so from the second point on a prefix-caching server had seen them all (review
  // BS M3).
  const auto lo = [](uint64_t v) { return static_cast<uint32_t>(v); };
  const auto hi = [](uint64_t v) { return static_cast<uint32_t>(v >> 32); };
  std::seed_seq seq{lo(spec.seed), hi(spec.seed), lo(spec.point_index), hi(spec.point_index), lo(index), hi(index)};
  std::mt19937_64 rng(seq);
  // Seeded words, so requests differ (a server with a prefix cache must not serve them from it).
  const auto words = [&] {
    std::uniform_int_distribution<size_t> word(0, std::size(kPromptWords) - 1);
    std::string text;
    for (int64_t i = 0; i < spec.prompt_tokens; ++i) text += (i ? " " : "") + std::string(kPromptWords[word(rng)]);
    return text;
  };
  if (spec.endpoint == Endpoint::kChat) {
    b["messages"] = nlohmann::json::array({{{"role", "user"}, {"content", words()}}});
  } else if (model.n_vocab > 0) {
    std::uniform_int_distribution<int64_t> tok(0, model.n_vocab - 1);
    std::vector<int64_t> ids(static_cast<size_t>(spec.prompt_tokens));
    for (auto& t : ids) t = tok(rng);
    b["prompt"] = ids;
  } else {
    // No vocabulary size: a text prompt of prompt_tokens seeded words, about a token each (the
    // token count is the server's). Before, it was "hello" repeated: every request identical,
    // whatever the seed, and a prefix cache served all but the first (review BS H2).
    b["prompt"] = words();
  }
  b["max_tokens"] = spec.output_tokens;
  b["ignore_eos"] = true;
  b["temperature"] = 0;
  b["stream"] = true;
  b["stream_options"] = {{"include_usage", true}};
  return b.dump();
}

ModelInfo fetch_model_info(const Target& target, double timeout_s) {
  ModelInfo info;
  for (size_t k = 0; k < target.base_urls.size(); ++k) {
    const std::string& url = target.base_urls[k];
    auto c = make_client(url, timeout_s, timeout_s);
    auto res = c->Get("/v1/models");
    if (!res)
      throw Error("cannot reach " + url + "/v1/models: " +
                  (res.error() == httplib::Error::Connection          ? connection_error_detail(url, timeout_s)
                   : res.error() == httplib::Error::ConnectionTimeout ? connect_timeout_detail(timeout_s, false)
                                                                      : short_detail(httplib::to_string(res.error()))));
    if (res->status != 200) throw Error(url + "/v1/models answered HTTP " + std::to_string(res->status));
    if (k > 0) continue;  // the others are checked to answer; the model is the first's
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (j.is_object() && j.contains("data") && j["data"].is_array() && !j["data"].empty()) {
      const auto& m = j["data"][0];
      if (m.contains("id") && m["id"].is_string()) info.id = m["id"].get<std::string>();
      if (m.contains("n_vocab") && m["n_vocab"].is_number_integer()) info.n_vocab = m["n_vocab"].get<int64_t>();
    }
  }
  return info;
}

int64_t warmup_requests(const Target& target, const PointSpec& spec) {
  return spec.warmup == kWarmupPerServer ? static_cast<int64_t>(target.base_urls.size()) : spec.warmup;
}

void run_warmup(const Target& target, const ModelInfo& model, const PointSpec& spec) {
  // One at a time, unmeasured, with prompt indices after any measured request's and the point's
  // position in the seed (a server with a prefix cache must not have seen the measured prompts).
  const int64_t n = warmup_requests(target, spec);
  if (n <= 0) return;
  Shared w(target.base_urls.size());
  w.target = &target;
  w.model = &model;
  w.spec = &spec;
  w.t0 = Clock::now();
  std::atomic<bool> fin{false};
  std::thread dog([&] { watchdog(w, fin); });
  for (int64_t i = 0; i < n; ++i) {
    RequestSample r;
    do_request(w, (1ULL << 40) + static_cast<uint64_t>(i), r);
  }
  fin = true;
  dog.join();
}

PointResult run_point(const Target& target, const ModelInfo& model, const PointSpec& spec) {
  PointResult out;
  out.spec = spec;
  out.spec.warmup = warmup_requests(target, spec);  // the count sent, for the report
  run_warmup(target, model, spec);

  Shared s(target.base_urls.size());
  s.target = &target;
  s.model = &model;
  s.spec = &spec;
  const auto window = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.duration_s));
  const bool by_time = spec.duration_s > 0;
  const size_t cap = by_time ? SIZE_MAX : static_cast<size_t>(spec.requests);

  std::mutex rmu;  // guards `reqs` growth; samples are heap nodes so a thread keeps its pointer
  std::vector<std::unique_ptr<RequestSample>> reqs;
  // The next measured request's sample and its index (which seeds its prompt); null past the cap.
  auto new_sample = [&](int64_t scheduled, uint64_t* index) {
    std::lock_guard<std::mutex> lock(rmu);
    if (reqs.size() >= cap) return static_cast<RequestSample*>(nullptr);
    *index = reqs.size();
    reqs.push_back(std::make_unique<RequestSample>());
    reqs.back()->scheduled_ns = scheduled;
    return reqs.back().get();
  };

  std::atomic<bool> fin{false};
  s.t0 = Clock::now();
  if (by_time) s.window_end = s.t0 + window;
  s.drain = by_time && spec.drain;
  std::thread dog([&] { watchdog(s, fin); });
  std::thread closer;
  // Set when a request's thread cannot be started (the system's thread limit or memory): the point
  // stops, its started requests are waited for, and run_point throws Error with this.
  std::string thread_error;
  std::mutex cmu;
  std::condition_variable ccv;
  bool all_done = false;
  if (by_time) {
    closer = std::thread([&] {
      std::unique_lock<std::mutex> lock(cmu);
      ccv.wait_until(lock, s.t0 + window, [&] { return all_done; });
      s.window_closed = true;
    });
  }

  if (spec.profile == Profile::kSynchronous || spec.profile == Profile::kConcurrent) {
    // Closed loop: `concurrency` workers, each sends its next request when its last one ends.
    // With --requests no more than that many can be in flight: --concurrency 100000 --requests 3
    // started 32722 threads before one failed (review BS L7).
    int n = spec.profile == Profile::kSynchronous ? 1 : spec.concurrency;
    if (!by_time && spec.requests < n) n = static_cast<int>(std::max<int64_t>(spec.requests, 1));
    std::vector<std::thread> workers;
    for (int w = 0; w < n; ++w) {
      try {
        workers.emplace_back([&] {
          while (!window_over(s, Clock::now())) {
            uint64_t index = 0;
            RequestSample* r = new_sample(since(s, Clock::now()), &index);
            if (!r) break;
            do_request(s, index, *r);
          }
        });
      } catch (const std::system_error& e) {
        thread_error = "cannot start request thread " + std::to_string(w + 1) + " of " + std::to_string(n) +
                       " (--concurrency is one thread per request in flight): " + e.what();
        break;
      }
    }
    if (!thread_error.empty()) s.window_closed = true, s.abort = true;  // the started ones stop now
    for (auto& t : workers) t.join();
  } else {
    // Open loop: a request goes out at each scheduled time, however slow the server is; each has its
    // own thread and connection. Lateness (send - schedule) shows a saturated sender.
    // Seeded by the seed and the repetition (--repeat): each run of a load draws its own arrivals
    // (review SV58 M2: every run had the same schedule, so the runs' spread left out the arrival
    // pattern, a poisson point's main noise). Not by the topology: every topology of a study gets
    // the same schedule at a load, a paired comparison.
    const auto lo = [](uint64_t v) { return static_cast<uint32_t>(v); };
    const auto hi = [](uint64_t v) { return static_cast<uint32_t>(v >> 32); };
    std::seed_seq arrivals_seq{lo(spec.seed), hi(spec.seed), static_cast<uint32_t>(spec.repetition), 0x9e3779b9U};
    std::mt19937_64 rng(arrivals_seq);
    std::exponential_distribution<double> gap(spec.rate);
    // Finished senders are joined as the loop goes, so a long --duration point does not hold one
    // exited-but-unjoined thread (and its stack) per request.
    struct Sender {
      std::thread t;
      std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<Sender> senders;
    auto reap = [&senders] {
      for (auto it = senders.begin(); it != senders.end();) {
        if (it->done->load()) {
          it->t.join();
          it = senders.erase(it);
        } else {
          ++it;
        }
      }
    };
    double next_s = 0;
    uint64_t arrivals = 0;
    for (;;) {
      // Compared as seconds before any conversion: an offset beyond the clock's range (1/rate
      // above 9.2e9 s) converted to INT64_MIN, a schedule in the past, and a --duration point
      // never ended (review BS H1; bench serve refuses a mean gap above 1e7 s). Offsets are
      // capped at kMaxOffsetS, far beyond any --duration, for a --requests point.
      constexpr double kMaxOffsetS = 1e9;
      if (by_time && !(next_s < spec.duration_s)) break;
      const auto when = s.t0 + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(std::min(next_s, kMaxOffsetS)));
      if (by_time && when >= s.t0 + window) break;
      std::this_thread::sleep_until(when);
      uint64_t index = 0;
      RequestSample* r = new_sample(since(s, when), &index);
      if (!r) break;
      // The k-th constant arrival at k / rate, not a sum of 1/rate steps, whose rounding put one
      // more arrival a nanosecond before the close (6/s for 1 s scheduled 7; review SB2 M2).
      ++arrivals;
      next_s = spec.profile == Profile::kConstant ? static_cast<double>(arrivals) / spec.rate : next_s + gap(rng);
      if (window_over(s, Clock::now())) {
        // Due inside the window, but this thread woke after the close (a loaded machine, or a
        // rate the sender cannot keep): not sent (it would be cut at once, or worse, answered
        // fast and counted as completed after the window). It is counted as not sent, with no
        // made-up send time: it has none to enter send_lateness with (review SB L4).
        r->not_sent = true;
        continue;
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      try {
        senders.push_back({std::thread([&s, r, index, done] {
                             do_request(s, index, *r);
                             done->store(true);
                           }),
                           done});
      } catch (const std::system_error& e) {
        thread_error = "cannot start the thread of request " + std::to_string(index + 1) + " (" +
                       std::to_string(senders.size()) + " in flight; one thread per request): " + e.what();
        s.window_closed = true;
        s.abort = true;
        break;
      }
      reap();
    }
    for (auto& sd : senders) sd.t.join();
  }
  if (by_time) {
    {
      std::lock_guard<std::mutex> lock(cmu);
      all_done = true;
    }
    ccv.notify_all();
    closer.join();
  }
  fin = true;
  dog.join();
  if (!thread_error.empty()) throw Error("bench serve: " + thread_error);

  for (auto& r : reqs) out.requests.push_back(std::move(*r));
  out.metrics = compute_point_metrics(out.requests, by_time ? std::chrono::duration_cast<std::chrono::nanoseconds>(window).count() : 0,
                                      s.drain);
  return out;
}

}  // namespace infertrace::serve::load
