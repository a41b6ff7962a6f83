# infertrace_gtest_suites(TARGET PREFIX TIMEOUT): one ctest test per GoogleTest suite of TARGET,
# instead of gtest_discover_tests' one per test. Used for the ASan build: an ASan+UBSan process takes
# ~0.45 s to start and exit before its first test (docs/testing.md), ~1,100 tests in ~190 suites.
# The list is written after each link (POST_BUILD) and read by ctest through TEST_INCLUDE_FILES.
function(infertrace_gtest_suites target prefix timeout)
  set(listed "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites.cmake")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -D "EXE=$<TARGET_FILE:${target}>" -D "OUT=${listed}" -D "PREFIX=${prefix}"
            -D "TIMEOUT=${timeout}" -D "WORKDIR=${CMAKE_CURRENT_BINARY_DIR}"
            -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/list_gtest_suites.cmake"
    BYPRODUCTS "${listed}" VERBATIM)
  # Before the first build there is no list: one test that fails and says so (as gtest_discover_tests
  # does), rather than a suite that silently runs nothing.
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites_include.cmake")
  file(WRITE "${include_file}"
       "if(EXISTS \"${listed}\")\n  include(\"${listed}\")\nelse()\n"
       "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
