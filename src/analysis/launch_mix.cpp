#include "analysis/launch_mix.h"

#include <algorithm>
#include <vector>

#include "util/fnv1a.h"

namespace infertrace {

namespace {

// (Fnv1a: stable across runs and builds, so a saved analysis's buckets match a recording analysed later.)
size_t bucket_of(const Fnv1a& f) { return static_cast<size_t>(f.h % kLaunchMixBuckets); }

std::optional<LaunchMix> gpu_kernel_mix(const Trace& trace) {
  const GpuActivityTable& g = trace.gpu;
  bool any_kernel = false, any_shape = false;
  for (size_t i = 0; i < g.size(); ++i) {
    if (g.kind[i] != GpuKind::Kernel) continue;
    any_kernel = true;
    if (g.grid_x[i] || g.grid_y[i] || g.grid_z[i] || g.block_x[i] || g.block_y[i] || g.block_z[i]) any_shape = true;
  }
  if (!any_kernel) return std::nullopt;
  LaunchMix m;
  m.basis = any_shape ? "kernel_shapes" : "kernel_names";
  // Each distinct name is hashed once: a long trace repeats a few hundred names millions of times.
  std::vector<uint64_t> name_hash(trace.strings.size());
  std::vector<uint8_t> name_hashed(trace.strings.size());
  for (size_t i = 0; i < g.size(); ++i) {
    if (g.kind[i] != GpuKind::Kernel) continue;
    Fnv1a f;
    const StrId id = g.name[i];
    if (id < name_hash.size() && name_hashed[id]) {
      f.h = name_hash[id];
    } else {
      f.bytes(trace.str(id));
      f.byte(0);  // the name ends here: "ab" + grid never hashes as "a" + "b..."
      if (id < name_hash.size()) name_hash[id] = f.h, name_hashed[id] = 1;
    }
    if (any_shape)
      for (const uint32_t v : {g.grid_x[i], g.grid_y[i], g.grid_z[i], g.block_x[i], g.block_y[i], g.block_z[i]}) f.u32(v);
    ++m.buckets[bucket_of(f)], ++m.launches;
  }
  return m;
}

std::optional<LaunchMix> launch_call_mix(const Trace& trace) {
  const ApiCallTable& c = trace.api;
  LaunchMix m;
  m.basis = "launch_shapes";
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.kind[i] != ApiKind::KernelLaunch || !c.has_geometry(i)) continue;
    Fnv1a f;
    const LaunchDims& d = c.geometry[i];
    for (int k = 0; k < 3; ++k) f.u32(d.grid[k]);
    for (int k = 0; k < 3; ++k) f.u32(d.block[k]);
    ++m.buckets[bucket_of(f)], ++m.launches;
  }
  if (m.launches == 0) return std::nullopt;
  return m;
}

}  // namespace

std::optional<LaunchMix> launch_mix(const Trace& trace) {
  if (std::optional<LaunchMix> m = gpu_kernel_mix(trace)) return m;
  return launch_call_mix(trace);
}

const char* launch_mix_basis_words(const std::string& basis) {
  if (basis == "kernel_shapes") return "by kernel name, grid and block";
  if (basis == "kernel_names") return "by kernel name";
  return "by launch grid and block";
}

std::optional<double> launch_mix_similarity(const LaunchMix& a, const LaunchMix& b) {
  if (a.basis != b.basis || a.launches < kLaunchMixMinLaunches || b.launches < kLaunchMixMinLaunches) return std::nullopt;
  // Shares over a common denominator, summed in integers: the same mix is exactly 1, not 1 - ulp.
  using wide = unsigned __int128;
  const wide na = static_cast<wide>(a.launches), nb = static_cast<wide>(b.launches);
  wide common = 0;
  for (size_t i = 0; i < kLaunchMixBuckets; ++i)
    common += std::min(static_cast<wide>(a.buckets[i]) * nb, static_cast<wide>(b.buckets[i]) * na);
  return static_cast<double>(static_cast<long double>(common) / static_cast<long double>(na * nb));
}

}  // namespace infertrace
