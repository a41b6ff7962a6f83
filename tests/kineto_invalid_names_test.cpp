// Review KV58 H1: PyTorch 2.0 and older wrote newer CUDA runtime calls as "INVALID" (Kineto's name
// table ended before their callback ids) with the id in args.cbid. cudaLaunchKernelExC (id 430) is
// how cuBLAS launches on H100: read by name alone those launches were no launch calls, their kernels
// "GPU work of other calls", and TKLQT came out low with no word. The reader names such a call by
// its runtime callback id; what it cannot name stays "INVALID", counted.
#include <gtest/gtest.h>

#include <string>

#include "analysis/launch.h"
#include "kineto_reading.h"
#include "report/analyze_json.h"
#include "trace/api_kind.h"
#include "trace/runtime_cbid_names.h"

namespace infertrace {
namespace {

using testing_kineto::read_doc;

// A runtime call and its kernel on correlation `corr`. `cbid_last`: the id after the correlation (Kineto
// writes it first; the readers' general key loop takes the other order).
std::string pair(const std::string& cat, const std::string& name, const std::string& cbid, int corr, int at_us,
                 bool cbid_last = false) {
  const std::string c = std::to_string(corr), ts = std::to_string(at_us);
  const std::string id = cbid.empty() ? "" : R"("cbid": )" + cbid;
  const std::string args = cbid_last ? R"("correlation": )" + c + (id.empty() ? "" : ", " + id)
                                     : (id.empty() ? "" : id + ", ") + R"("correlation": )" + c;
  return R"({"ph": "X", "cat": ")" + cat + R"(", "name": ")" + name + R"(", "pid": 7, "tid": 7, "ts": )" + ts +
         R"(, "dur": 5, "args": {)" + args + "}},\n" + R"({"ph": "X", "cat": "kernel", "name": "k)" + c + R"(", "pid": 0, "tid": 7, "ts": )" +
         std::to_string(at_us + 20) + R"(, "dur": 3, "args": {"device": 0, "stream": 7, "correlation": )" + c + "}}";
}

std::string doc() {
  return "{\"traceEvents\": [\n" + pair("cuda_runtime", "cudaLaunchKernel", "211", 1, 100) + ",\n" +
         pair("cuda_runtime", "INVALID", "430", 2, 200, true) + ",\n" +  // cudaLaunchKernelExC, id last
         pair("Runtime", "INVALID", "431", 3, 300) + ",\n" +            // its _ptsz, old category spelling
         pair("cuda_runtime", "INVALID", "\"505\"", 4, 400) + ",\n" +   // an id written as a digit string
         pair("cuda_runtime", "INVALID", "999", 5, 500) + ",\n" +       // no launch or sync call: kept
         pair("cuda_runtime", "INVALID", "", 6, 600) + ",\n" +          // no id: kept
         pair("cuda_driver", "INVALID", "430", 7, 700) + "\n]}";        // a driver id is another numbering: kept
}

TEST(KinetoInvalidNames, RuntimeCallsNamedByCallbackIdInBothReaders) {
  for (const bool direct : {false, true}) {
    for (const size_t chunk : {size_t{0}, size_t{1}}) {
      testing_kineto::Reading r = read_doc(doc(), chunk, direct);
      ASSERT_EQ(r.error, "") << direct << " " << chunk;
      const Trace& t = r.trace;
      // Each path was taken: chunk 1 with the direct scan on reads the middle events by that scan.
      if (direct && chunk == 1) EXPECT_GT(testing_kineto::direct_bytes(t), 0);
      else EXPECT_EQ(testing_kineto::direct_bytes(t), 0);
      ASSERT_EQ(t.api.size(), 7u);
      std::vector<std::string> names;
      for (size_t i = 0; i < t.api.size(); ++i) names.emplace_back(t.str(t.api.name[i]));
      EXPECT_EQ(names, (std::vector<std::string>{"cudaLaunchKernel", "cudaLaunchKernelExC", "cudaLaunchKernelExC_ptsz",
                                                 "__cudaLaunchKernel", "INVALID", "INVALID", "INVALID"}))
          << direct << " " << chunk;
      for (size_t i = 0; i < 4; ++i) EXPECT_EQ(t.api.kind[i], ApiKind::KernelLaunch) << i;
      for (size_t i = 4; i < 7; ++i) EXPECT_EQ(t.api.kind[i], ApiKind::Other) << i;
      EXPECT_EQ(t.invalid_api_names_resolved(), 3);
      EXPECT_EQ(t.invalid_api_names_kept(), 3);

      // Each resolved launch links its kernel: 4 launch calls, the TKLQT of all four (20 us each).
      const LaunchAnalysis a = analyze_launches(t);
      EXPECT_EQ(a.launch_calls, 4);
      EXPECT_EQ(a.linked_launch_calls, 4);
      EXPECT_EQ(a.tklqt, 4 * 20'000);
      EXPECT_EQ(a.activities_of_other_calls, 3);  // the kept ones' kernels
      const nlohmann::json j = analyze_trace_json(t, a);
      EXPECT_EQ(j["invalid_api_names_resolved"], 3);
      EXPECT_EQ(j["invalid_api_names_kept"], 3);
    }
  }
}

TEST(KinetoInvalidNames, TableIsSortedAndClassifiesAsNamed) {
  int64_t last = -1;
  for (const RuntimeCbidName& e : kRuntimeCbidNames) {
    EXPECT_LT(last, e.cbid) << e.name;
    last = e.cbid;
    // Every id in the table is a launch or sync call by its name, or it would not be there.
    const ApiKind k = classify_api(e.name);
    EXPECT_TRUE(is_launch(k) || k == ApiKind::Sync) << e.name;
    EXPECT_EQ(runtime_api_of_cbid(e.cbid), e.name);
  }
  // Ids against CUPTI's header (cupti_runtime_cbid.h, CUDA 13), written out here.
  EXPECT_EQ(runtime_api_of_cbid(211), "cudaLaunchKernel");
  EXPECT_EQ(runtime_api_of_cbid(214), "cudaLaunchKernel_ptsz");
  EXPECT_EQ(runtime_api_of_cbid(41), "cudaMemcpyAsync");
  EXPECT_EQ(runtime_api_of_cbid(51), "cudaMemsetAsync");
  EXPECT_EQ(runtime_api_of_cbid(131), "cudaStreamSynchronize");
  EXPECT_EQ(runtime_api_of_cbid(165), "cudaDeviceSynchronize");
  EXPECT_EQ(runtime_api_of_cbid(269), "cudaLaunchCooperativeKernel");
  EXPECT_EQ(runtime_api_of_cbid(312), "cudaGraphLaunch_ptsz");
  EXPECT_EQ(runtime_api_of_cbid(431), "cudaLaunchKernelExC_ptsz");
  EXPECT_EQ(runtime_api_of_cbid(505), "__cudaLaunchKernel");
  EXPECT_EQ(runtime_api_of_cbid(430), "cudaLaunchKernelExC");
  EXPECT_EQ(runtime_api_of_cbid(311), "cudaGraphLaunch");
  EXPECT_EQ(runtime_api_of_cbid(0), "");
  EXPECT_EQ(runtime_api_of_cbid(100000), "");
}

}  // namespace
}  // namespace infertrace
