# ksgate_library(NAME n SRCS a.cc b.cc [DEPS x y] [PRIVATE_DEPS z])
# ksgate_library(NAME n HDRS a.h b.h [DEPS x y])
#   Declares ksgate_<n> with alias ksgate::<n>. Headers are included as "layer/file.h" from src/.
#   PRIVATE_DEPS keep third-party headers inside the layer that owns them. The HDRS form declares
#   a header-only (INTERFACE) library: the headers are its whole contract, DEPS are what they
#   include.
function(ksgate_library)
  cmake_parse_arguments(KL "" "NAME" "SRCS;HDRS;DEPS;PRIVATE_DEPS" ${ARGN})
  if(KL_HDRS)
    if(KL_SRCS OR KL_PRIVATE_DEPS)
      message(FATAL_ERROR "ksgate_library(${KL_NAME}): HDRS takes neither SRCS nor PRIVATE_DEPS")
    endif()
    add_library(ksgate_${KL_NAME} INTERFACE ${KL_HDRS})
    add_library(ksgate::${KL_NAME} ALIAS ksgate_${KL_NAME})
    target_include_directories(ksgate_${KL_NAME} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(ksgate_${KL_NAME} INTERFACE ${KL_DEPS})
    return()
  endif()
  add_library(ksgate_${KL_NAME} STATIC ${KL_SRCS})
  add_library(ksgate::${KL_NAME} ALIAS ksgate_${KL_NAME})
  target_include_directories(ksgate_${KL_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(ksgate_${KL_NAME} PUBLIC ${KL_DEPS} PRIVATE ${KL_PRIVATE_DEPS})
endfunction()

# ksgate_test(NAME n SRCS a_test.cc [DEPS x y] [LABELS l...] [SERIAL])
#   A GoogleTest executable registered with CTest (one CTest entry per test case). LABELS tag
#   every case (`ctest -L l` selects them, `-LE l` leaves them out); SERIAL cases never run
#   alongside another test (they disturb shared state, e.g. restart a database server).
function(ksgate_test)
  if(NOT KSGATE_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(KT "SERIAL" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${KT_NAME} ${KT_SRCS})
  target_link_libraries(${KT_NAME} PRIVATE ${KT_DEPS} GTest::gmock GTest::gtest_main)
  set(properties "")
  if(KT_LABELS)
    list(APPEND properties LABELS "${KT_LABELS}")
  endif()
  if(KT_SERIAL)
    list(APPEND properties RUN_SERIAL TRUE)
  endif()
  include(GoogleTest)
  if(properties)
    gtest_discover_tests(${KT_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES ${properties})
  else()
    gtest_discover_tests(${KT_NAME} DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# ksgate_embed_migrations(OUT_VAR NAMESPACE ns HEADER h MIGRATIONS a.sql b.sql ...)
#   Generates a .cc defining ns::Migrations() (declared in h) from the numbered SQL files, which
#   are embedded as string literals so the binary needs no files at run time; sets OUT_VAR to its
#   path for a SRCS list. See EmbedMigrations.cmake for the rules on file names.
function(ksgate_embed_migrations out_var)
  cmake_parse_arguments(KE "" "NAMESPACE;HEADER" "MIGRATIONS" ${ARGN})
  set(paths "")
  foreach(m IN LISTS KE_MIGRATIONS)
    list(APPEND paths ${CMAKE_CURRENT_SOURCE_DIR}/${m})
  endforeach()
  string(REPLACE ";" "|" inputs "${paths}")
  set(script ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake)
  set(output ${CMAKE_CURRENT_BINARY_DIR}/migrations_embedded.cc)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} "-DINPUTS=${inputs}" "-DOUTPUT=${output}"
            "-DNAMESPACE=${KE_NAMESPACE}" "-DHEADER=${KE_HEADER}" -P ${script}
    DEPENDS ${paths} ${script}
    COMMENT "Embedding migrations into ${KE_NAMESPACE}"
    VERBATIM)
  set(${out_var} ${output} PARENT_SCOPE)
endfunction()

# ksgate_fuzzer(NAME n SRCS a_fuzzer.cc [DEPS x y])
#   A libFuzzer target `n` (only with KSGATE_BUILD_FUZZ): linked with the libFuzzer runtime (which
#   brings main()), ASan and UBSan, and added to the target ksgate_fuzzers, which builds them all.
#   Its seed corpus is fuzz/corpus/<n>/, its dictionary fuzz/<n>.dict when present
#   (scripts/fuzz.sh runs it).
function(ksgate_fuzzer)
  if(NOT KSGATE_BUILD_FUZZ)
    return()
  endif()
  cmake_parse_arguments(KF "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${KF_NAME} ${KF_SRCS})
  # Sources include their helpers as "fuzz/fuzz_input.h".
  target_include_directories(${KF_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${KF_NAME} PRIVATE ${KF_DEPS})
  target_link_options(${KF_NAME} PRIVATE -fsanitize=fuzzer)
  if(NOT TARGET ksgate_fuzzers)
    add_custom_target(ksgate_fuzzers)
  endif()
  add_dependencies(ksgate_fuzzers ${KF_NAME})
endfunction()
