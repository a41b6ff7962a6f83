#include "util/watched_stdout.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <streambuf>

namespace infertrace {

namespace {

int first_write_errno = 0;

// What glibc's own stdout does with a buffer to write (file descriptor 1, whichever file that is at
// the time: stdout_for_output may point it at stderr), except that the first error is kept. A short
// count tells stdio the write failed (it sets the stream's error flag).
ssize_t write_stdout(void*, const char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    const ssize_t w = ::write(STDOUT_FILENO, buf + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (first_write_errno == 0) first_write_errno = w < 0 ? errno : EIO;
      break;
    }
    done += static_cast<size_t>(w);
  }
  return static_cast<ssize_t>(done);
}

// std::cout over the new stdout, unbuffered as libstdc++'s own (stdio_sync_filebuf): every
// character goes into stdout's buffer at once, so std::cout and printf keep their order.
class StdoutBuf : public std::streambuf {
 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return std::fflush(stdout) == 0 ? traits_type::not_eof(c) : c;
    return std::fputc(c, stdout) == EOF ? traits_type::eof() : c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    return static_cast<std::streamsize>(std::fwrite(s, 1, static_cast<size_t>(n), stdout));
  }
  int sync() override { return std::fflush(stdout) == 0 ? 0 : -1; }
};

}  // namespace

void watch_standard_output() {
  static bool watched = false;
  if (watched) return;
  cookie_io_functions_t io{};
  io.write = write_stdout;
  FILE* f = ::fopencookie(nullptr, "w", io);
  if (!f) return;  // (out of memory: stdout stays glibc's, with its errno-less errors)
  watched = true;
  // glibc buffers its stdout by lines on a terminal; a cookie stream has no descriptor to ask.
  if (::isatty(STDOUT_FILENO)) std::setvbuf(f, nullptr, _IOLBF, BUFSIZ);
  std::cout.flush();
  std::fflush(stdout);
  stdout = f;  // glibc's stdout is a variable that may be set (its manual, "Standard Streams")
  // Never destroyed: std::cout is flushed at exit, after function-local statics are gone.
  static StdoutBuf* const buf = new StdoutBuf;
  std::cout.rdbuf(buf);
}

int standard_output_write_errno() { return first_write_errno; }

}  // namespace infertrace
