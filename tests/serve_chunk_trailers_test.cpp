// serve/chunk_trailers.h: a chunked body passes unchanged but for its trailer fields, however the
// bytes are split across reads. The expected bytes are the inputs written out by hand.
#include <gtest/gtest.h>

#include <string>

#include "serve/chunk_trailers.h"

using infertrace::serve::ChunkTrailerFilter;

namespace {

// `in` fed in pieces of `step` bytes; "FAIL" when the filter refuses.
std::string filtered(const std::string& in, size_t step) {
  ChunkTrailerFilter f;
  std::string out;
  for (size_t i = 0; i < in.size(); i += step)
    if (!f.feed(in.data() + i, std::min(step, in.size() - i), out)) return "FAIL";
  return out;
}

}  // namespace

TEST(ChunkTrailers, PassesBodiesWithoutTrailers) {
  const std::string body = "5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
  for (size_t step : {1, 2, 3, 7, 1000}) EXPECT_EQ(filtered(body, step), body) << step;
}

TEST(ChunkTrailers, DropsTrailerFields) {
  // Chunk data that looks like a size line or a trailer is data.
  const std::string chunks = "3\r\n0\r\n\r\nA\r\nX-T: 1\r\n\r\n\r\n0\r\n";
  const std::string in = chunks + "X-Checksum: abc\r\nX-Other: 2\r\n\r\nGET / HTTP/1.1\r\n";
  for (size_t step : {1, 4, 5, 1000})
    EXPECT_EQ(filtered(in, step), chunks + "\r\nGET / HTTP/1.1\r\n") << step;
  // Bare LF line ends, as cpp-httplib's line reader takes them.
  EXPECT_EQ(filtered("2\nab\n0\nX: y\n\n", 1), "2\nab\n0\n\n");
}

TEST(ChunkTrailers, RefusesMalformedFraming) {
  // Not a size line: refused at once (cpp-httplib refused it too).
  EXPECT_EQ(filtered("zz\r\n0\r\nX: y\r\n\r\n", 3), "FAIL");
  // Trailers without end: refused once over the limit.
  std::string endless = "0\r\n";
  while (endless.size() < ChunkTrailerFilter::kMaxTrailerBytes + 100) endless += "X-Pad: pppppppppp\r\n";
  EXPECT_EQ(filtered(endless, 64), "FAIL");
}

// Review HS L3: a size is hex digits alone (RFC 9112's 1*HEXDIG). cpp-httplib's strtoul took a
// sign, "0x" and leading blanks: "-5" was 2^64 - 5 bytes to wait for until the body's deadline.
TEST(ChunkTrailers, SizeLinesAreHexDigitsAlone) {
  for (const char* bad : {"-5\r\nhello\r\n0\r\n\r\n", "+5\r\nhello\r\n0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n",
                          " 3\r\nabc\r\n0\r\n\r\n", "\r\n", "5x\r\nhello\r\n0\r\n\r\n",
                          "8000000000000000\r\n", "ffffffffffffffffff\r\n"})
    for (size_t step : {1, 2, 1000}) EXPECT_EQ(filtered(bad, step), "FAIL") << bad << " " << step;
  // Upper and lower case, leading zeros, 2^63 - 1, an extension after blanks: taken.
  const std::string ok = "0A\r\n0123456789\r\n00b ;x=1\r\nhello world\r\n0\r\n\r\n";
  for (size_t step : {1, 2, 1000}) EXPECT_EQ(filtered(ok, step), ok) << step;
  EXPECT_EQ(filtered("7fffffffffffffff\r\nab", 1), "7fffffffffffffff\r\nab");
}

TEST(ChunkTrailers, AnOverlongSizeLinePassesEveryByteOnce) {
  // A size line of kMaxTrailerBytes + 1 bytes before its end (extension padding): every byte goes
  // through exactly once, however it is split, and the rest is not followed (passed as it is).
  std::string line = "5;x=";
  while (line.size() < ChunkTrailerFilter::kMaxTrailerBytes + 1) line += 'p';
  const std::string in = line + "\r\nhello\r\n0\r\nX: y\r\n\r\n";
  for (size_t step : {1, 3, 8192, 100000}) EXPECT_EQ(filtered(in, step), in) << step;
}
