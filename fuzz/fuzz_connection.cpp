// libFuzzer target for what `infertrace serve` reads from a connection (src/serve/connection.*,
// chunk_trailers.*, the routes of http_server.cpp): the input is everything a client sends before
// it closes its sending side. It goes through the server's own connection reader and routes
// (HttpServer::serve_connection on one end of a socketpair: request head with its limits, route
// and head checks, Content-Length, chunked or gzip body, the completion parsers), with a scheduler
// that is stopped, so a request that parses is answered 503 without running the model. The same
// bytes also go through the chunk-trailer filter whole and in pieces cut where the input says,
// which must pass on the same bytes either way, never more than it was given.
// Anything but an answer (a crash, a sanitizer report, an exception out of the server, a hang
// caught by libFuzzer's -timeout) is a bug.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "engine/model/chat_template_texts.h"
#include "engine/model/forward.h"
#include "engine/model/presets.h"
#include "engine/model/synth.h"
#include "engine/tokenizer/synthetic_vocab.h"
#include "engine/tokenizer/tokenizer.h"
#include "serve/chunk_trailers.h"
#include "serve/http_server.h"
#include "serve/scheduler.h"

namespace {

using namespace infertrace;

// A server as `serve` builds one, over a tiny synthetic model whose scheduler is stopped at once.
struct Server {
  std::unique_ptr<engine::Model> model;
  engine::Tokenizer tok{engine::make_synthetic_vocab(512)};
  std::unique_ptr<serve::Scheduler> scheduler;
  std::unique_ptr<serve::HttpServer> http;

  Server() {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("fuzz_connection_" + std::to_string(getpid()) + ".gguf")).string();
    engine::SynthOptions o;
    o.dtype = gguf::GgmlType::F32;
    o.threads = 1;
    engine::synth_model(engine::find_preset("tiny-qwen3"), o, path);
    model = engine::Model::load(path);
    std::filesystem::remove(path);
    serve::SchedulerOptions so;
    so.ctx = 64;
    so.max_batch = 1;
    so.max_queue = 0;
    scheduler = std::make_unique<serve::Scheduler>(*model, [](int32_t) { return false; }, so);
    scheduler->stop();
    serve::ChatSetup chat;
    chat.tmpl = serve::ChatTemplate::detect(engine::qwen3_chat_template(), &chat.refusal);
    const serve::ModelLimits limits{"m", 64, tok.n_vocab(), tok.max_text_bytes_per_token()};
    http = std::make_unique<serve::HttpServer>(*scheduler, tok, limits, chat, 1);
  }
};

Server& server() {
  static Server s;
  return s;
}

void chunk_filter(std::string_view in) {
  serve::ChunkTrailerFilter whole, pieces;
  std::string out_whole, out_pieces;
  const bool ok_whole = whole.feed(in.data(), in.size(), out_whole);
  bool ok_pieces = true;
  for (size_t i = 0; i < in.size() && ok_pieces;) {
    const size_t n = std::min<size_t>(in.size() - i, 1 + static_cast<uint8_t>(in[i]) % 16);
    ok_pieces = pieces.feed(in.data() + i, n, out_pieces);
    i += n;
  }
  if (ok_whole != ok_pieces || (ok_whole && out_whole != out_pieces) || out_whole.size() > in.size()) std::abort();
}

// Everything a socketpair's buffer takes without a reader: the client's bytes are all written
// before the server reads (the head limit, 64 KiB, is within this).
constexpr size_t kMaxInput = 128 << 10;

void serve_bytes(std::string_view in) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
  const int client = sv[0], conn = sv[1];
  const int buf = 1 << 20;
  setsockopt(client, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  fcntl(client, F_SETFL, O_NONBLOCK);
  size_t sent = 0;
  while (sent < in.size()) {
    const ssize_t n = send(client, in.data() + sent, in.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  // The client has sent all it will: the server sees end of input after it (a client that half-
  // closes is gone as far as answers go, so no answer is written; the reading is what is fuzzed).
  shutdown(client, SHUT_WR);
  if (sent == in.size()) server().http->serve_connection(conn);  // closes conn
  else close(conn);
  close(client);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  chunk_filter(in);
  if (size <= kMaxInput) serve_bytes(in);
  return 0;
}
