# Run as `cmake -P` after a GoogleTest binary is linked (tests/cmake/gtest_suites.cmake): asks it for
# its tests and writes OUT, a ctest script with one test per suite (`--gtest_filter=Suite.*`).
# In: EXE (the binary), OUT, PREFIX (put before each suite's name), TIMEOUT (s, per suite), WORKDIR.
execute_process(COMMAND "${EXE}" --gtest_list_tests
                OUTPUT_VARIABLE listing ERROR_VARIABLE listing_err RESULT_VARIABLE rc TIMEOUT 120)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} --gtest_list_tests failed (${rc}): ${listing_err}")
endif()
# A suite's line starts in column 0 and ends its name with '.' ("Suite." or "Prefix/Suite.", a typed
# suite adds "  # TypeParam = ..."); its tests are indented. Only the names are taken, so nothing a
# parameter prints (';', brackets) reaches the CMake lists below.
string(REGEX MATCHALL "\n[A-Za-z_][A-Za-z0-9_/]*\\." suite_lines "\n${listing}")
set(script "# Written by tests/cmake/list_gtest_suites.cmake from ${EXE} --gtest_list_tests\n")
set(count 0)
foreach(line IN LISTS suite_lines)
  string(STRIP "${line}" suite)
  string(REGEX REPLACE "\\.$" "" suite "${suite}")
  set(name "${PREFIX}${suite}")
  string(APPEND script "add_test(\"${name}\" \"${EXE}\" \"--gtest_filter=${suite}.*\")\n"
                       "set_tests_properties(\"${name}\" PROPERTIES WORKING_DIRECTORY \"${WORKDIR}\" "
                       "TIMEOUT ${TIMEOUT} SKIP_RETURN_CODE 77)\n")
  math(EXPR count "${count} + 1")
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "${EXE} --gtest_list_tests named no test suite")
endif()
file(WRITE "${OUT}" "${script}")
