// Helpers for the Kineto reader tests: write a small hand-made trace to a temporary file, compare
// two Traces table by table.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "ingest/load.h"
#include "trace/trace.h"

namespace infertrace::testing_kineto {

// A file under the system temp dir, removed when this goes out of scope.
class TempFile {
 public:
  explicit TempFile(const std::string& bytes, const std::string& suffix = ".json") {
    static int n = 0;
    path_ = ::testing::TempDir() + "kineto_" + std::to_string(getpid()) + "_" + std::to_string(n++) + suffix;
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One gzip member holding `s` (level 6, like Python's gzip module default-ish).
inline std::string gzip_member(const std::string& s) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, s.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  zs.avail_in = static_cast<uInt>(s.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline Trace load_text(const std::string& json, size_t chunk = 0) {
  TempFile f(json);
  LoadOptions o;
  o.chunk_bytes = chunk;
  return load_trace(f.path(), o);
}

// Every table column equal, names compared as text (ids may differ between readings).
inline void expect_same_trace(const Trace& a, const Trace& b) {
  ASSERT_EQ(a.gpu.size(), b.gpu.size());
  for (size_t i = 0; i < a.gpu.size(); ++i) {
    const GpuActivity x = a.gpu.row(i), y = b.gpu.row(i);
    EXPECT_EQ(x.start, y.start) << i;
    EXPECT_EQ(x.dur, y.dur) << i;
    EXPECT_EQ(x.kind, y.kind) << i;
    EXPECT_EQ(x.device, y.device) << i;
    EXPECT_EQ(x.stream, y.stream) << i;
    EXPECT_EQ(x.correlation, y.correlation) << i;
    EXPECT_EQ(x.external_id, y.external_id) << i;
    EXPECT_EQ(a.str(x.name), b.str(y.name)) << i;
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(x.grid[k], y.grid[k]) << i;
      EXPECT_EQ(x.block[k], y.block[k]) << i;
    }
  }
  ASSERT_EQ(a.api.size(), b.api.size());
  for (size_t i = 0; i < a.api.size(); ++i) {
    const ApiCall x = a.api.row(i), y = b.api.row(i);
    EXPECT_EQ(x.start, y.start) << i;
    EXPECT_EQ(x.dur, y.dur) << i;
    EXPECT_EQ(x.pid, y.pid) << i;
    EXPECT_EQ(x.tid, y.tid) << i;
    EXPECT_EQ(x.correlation, y.correlation) << i;
    EXPECT_EQ(x.external_id, y.external_id) << i;
    EXPECT_EQ(x.kind, y.kind) << i;
    EXPECT_EQ(a.str(x.name), b.str(y.name)) << i;
  }
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) {
    const Operator x = a.ops.row(i), y = b.ops.row(i);
    EXPECT_EQ(x.start, y.start) << i;
    EXPECT_EQ(x.dur, y.dur) << i;
    EXPECT_EQ(x.pid, y.pid) << i;
    EXPECT_EQ(x.tid, y.tid) << i;
    EXPECT_EQ(x.external_id, y.external_id) << i;
    EXPECT_EQ(x.user_annotation, y.user_annotation) << i;
    EXPECT_EQ(a.str(x.name), b.str(y.name)) << i;
  }
  ASSERT_EQ(a.threads.size(), b.threads.size());
  for (size_t i = 0; i < a.threads.size(); ++i) {
    const ThreadInfo x = a.threads.row(i), y = b.threads.row(i);
    EXPECT_EQ(x.pid, y.pid);
    EXPECT_EQ(x.tid, y.tid);
    EXPECT_EQ(x.first_ts, y.first_ts);
    EXPECT_EQ(x.last_ts, y.last_ts);
    EXPECT_EQ(a.str(x.comm), b.str(y.comm));
  }
  EXPECT_EQ(a.skipped, b.skipped);
  EXPECT_EQ(a.meta, b.meta);
  EXPECT_EQ(a.other_host_starts, b.other_host_starts);
}

}  // namespace infertrace::testing_kineto
