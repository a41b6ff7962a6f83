// The CUDA driver and runtime functions the recorder probes, and where (x86-64 System V ABI) each
// keeps its stream and launch geometry. The index of an entry is the `api` field of its records;
// the names are written into every recording as META api.<index>.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace infertrace {

// Must match the ST_* / GE_* codes of bpf/record.bpf.c.
enum class StreamAt : uint8_t { None = 0, Arg1 = 1, Arg2 = 2, Arg3 = 3, Arg4 = 4, Arg5 = 5, Arg6 = 6,
                                Stack2 = 7, Stack3 = 8, Config = 9, Stack1 = 10 };
enum class GeometryAt : uint8_t { None = 0, RuntimeRegs = 1, DriverRegs = 2, Config = 3 };
// What kind of operation a call is (the BPF side tests for Sync: IT_API_FAMILY_SYNC); every probed
// name classes as its family under classify_api() (cuda_apis_test.cpp).
enum class ApiFamily : uint8_t { Kernel = 1, Graph = 2, Memcpy = 3, Memset = 4, Sync = 5 };

struct CudaApi {
  std::string_view symbol;
  bool runtime;       // libcudart (folds the driver calls it makes)
  bool return_probe;  // duration always measured (costs a second probe hit per call)
  StreamAt stream;
  GeometryAt geometry;
  ApiFamily family;
};

std::span<const CudaApi> cuda_apis();

// Whether `a` gets a return probe; --launch-durations adds one to every runtime launch call.
bool wants_return_probe(const CudaApi& a, bool launch_durations);

// The BPF attach cookie of entry `index` (layout documented in bpf/record.bpf.c).
uint64_t api_cookie(uint32_t index, bool launch_durations);

}  // namespace infertrace
