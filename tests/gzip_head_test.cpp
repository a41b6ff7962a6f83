// GzipHead: the first bytes a gzip stream inflates to, fed a few compressed bytes at a time as a
// pipe gives them. The compressed bytes come from zlib's own deflate here and the expected bytes
// are the text that was compressed, so the check does not go through the inflater under test.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "ingest/gzip_head.h"

namespace infertrace {
namespace {

// One gzip member of `text` (zlib's deflate with a gzip wrapper).
std::string gzip_member(const std::string& text) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, text.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string varied_text(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += "{\"name\": \"kernel_" + std::to_string(i * 7919 % 1000) + "\"},\n";
  s.resize(n);
  return s;
}

const unsigned char* bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

TEST(GzipHead, InflatesAsTheCompressedBytesArrive) {
  const std::string text = varied_text(300000);
  const std::string packed = gzip_member(text);
  GzipHead head(1 << 20);
  size_t last = 0;
  for (size_t have = 7; have < packed.size() + 7; have += 7) {
    ASSERT_TRUE(head.feed(bytes(packed), std::min(have, packed.size())));
    ASSERT_GE(head.size(), last);  // never shrinks
    last = head.size();
  }
  ASSERT_EQ(head.size(), text.size());
  EXPECT_EQ(std::string(head.data(), head.size()), text);
  EXPECT_FALSE(head.full());
}

TEST(GzipHead, StopsAtItsLimit) {
  const std::string text = varied_text(200000);
  const std::string packed = gzip_member(text);
  GzipHead head(4096);
  ASSERT_TRUE(head.feed(bytes(packed), packed.size()));
  EXPECT_TRUE(head.full());
  ASSERT_EQ(head.size(), 4096u);
  EXPECT_EQ(std::string(head.data(), head.size()), text.substr(0, 4096));
}

TEST(GzipHead, FollowsConcatenatedMembers) {
  const std::string a = "{\"traceEvents\": [", b = "]}";
  const std::string packed = gzip_member(a) + gzip_member(b);
  GzipHead head(1 << 20);
  ASSERT_TRUE(head.feed(bytes(packed), packed.size()));
  EXPECT_EQ(std::string(head.data(), head.size()), a + b);
}

TEST(GzipHead, RefusesCorruptData) {
  std::string packed = gzip_member(varied_text(50000));
  for (size_t i = 20; i < 60; ++i) packed[i] = static_cast<char>(0xff);
  GzipHead head(1 << 20);
  EXPECT_FALSE(head.feed(bytes(packed), packed.size()));
  EXPECT_FALSE(head.feed(bytes(packed), packed.size()));  // stays refused
}

TEST(GzipHead, ZeroPaddingAfterTheLastMemberIsNoError) {
  const std::string text = "{\"traceEvents\": []}";
  const std::string packed = gzip_member(text) + std::string(4096, '\0');
  GzipHead head(1 << 20);
  ASSERT_TRUE(head.feed(bytes(packed), packed.size())) << head.error();
  EXPECT_EQ(std::string(head.data(), head.size()), text);
}

TEST(GzipHead, BytesAfterTheLastMemberAreRefusedWhereTheyStart) {
  const std::string member = gzip_member("{\"traceEvents\": []}");
  for (const std::string& after : {std::string("junk"), std::string(10, '\0') + "x"}) {
    const std::string packed = member + after;
    GzipHead head(1 << 20);
    EXPECT_FALSE(head.feed(bytes(packed), packed.size()));
    EXPECT_EQ(head.error(), "trailing bytes after the last gzip member");
    EXPECT_EQ(head.error_offset(), static_cast<int64_t>(member.size()));
  }
}

}  // namespace
}  // namespace infertrace
