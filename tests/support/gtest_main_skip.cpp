// The unit tests' main(): GoogleTest's own, plus one exit code. A run whose selected tests were all
// skipped (a CUDA suite on a machine without a GPU) and none failed exits 77, which ctest reports as
// "Not Run (skipped)" (SKIP_RETURN_CODE 77 on every unit test, tests/CMakeLists.txt). ctest runs a
// whole suite in one process in the ASan build (tests/cmake/gtest_suites.cmake), where GoogleTest's
// "[  SKIPPED ]" line cannot tell a suite that skipped everything from one that skipped one test.
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  const testing::UnitTest& unit = *testing::UnitTest::GetInstance();
  if (rc == 0 && unit.successful_test_count() == 0 && unit.skipped_test_count() > 0) return 77;
  return rc;
}
