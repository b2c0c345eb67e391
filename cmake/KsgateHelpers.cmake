# ksgate_library(NAME n SRCS a.cc b.cc [DEPS x y] [PRIVATE_DEPS z])
#   Declares ksgate_<n> with alias ksgate::<n>. Headers are included as "layer/file.h" from src/.
#   PRIVATE_DEPS keep third-party headers inside the layer that owns them.
function(ksgate_library)
  cmake_parse_arguments(KL "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(ksgate_${KL_NAME} STATIC ${KL_SRCS})
  add_library(ksgate::${KL_NAME} ALIAS ksgate_${KL_NAME})
  target_include_directories(ksgate_${KL_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(ksgate_${KL_NAME} PUBLIC ${KL_DEPS} PRIVATE ${KL_PRIVATE_DEPS})
endfunction()

# ksgate_test(NAME n SRCS a_test.cc [DEPS x y])
#   A GoogleTest executable registered with CTest (one CTest entry per test case).
function(ksgate_test)
  if(NOT KSGATE_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(KT "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${KT_NAME} ${KT_SRCS})
  target_link_libraries(${KT_NAME} PRIVATE ${KT_DEPS} GTest::gmock GTest::gtest_main)
  include(GoogleTest)
  gtest_discover_tests(${KT_NAME} DISCOVERY_TIMEOUT 60)
endfunction()
