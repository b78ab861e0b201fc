# SPDX-License-Identifier: GPL-2.0-or-later
# Shared build settings and helpers for automon targets.

add_library(automon_warnings INTERFACE)
target_compile_options(automon_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow)
if(AUTOMON_WERROR)
  target_compile_options(automon_warnings INTERFACE -Werror)
endif()

if(AUTOMON_SANITIZE)
  add_compile_options(-fsanitize=${AUTOMON_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${AUTOMON_SANITIZE})
endif()

# Linked as Debian's hardening=+all links them (debian/rules): full RELRO,
# every symbol bound at start. Builds outside dpkg (CI, bench/) then run
# what ships, with no lazy symbol lookups in the middle of a measured push.
add_link_options(LINKER:-z,relro LINKER:-z,now)

# automon_library(NAME SOURCES... DEPS ...): a static library with the
# project's warnings and root-relative includes ("formats/parser.h").
function(automon_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE automon_warnings)
endfunction()

# automon_add_test(NAME SOURCES... DEPS ...): one GoogleTest binary per
# library, each test case registered with ctest under the label "unit".
function(automon_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT AUTOMON_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main
                        automon_warnings)
  gtest_discover_tests(${name} PROPERTIES LABELS unit
                       WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()

# Fuzzing (clang only): every library gets coverage instrumentation and the
# sanitizers, so libFuzzer is guided by the code under test, not just the
# fuzz driver.
if(AUTOMON_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "AUTOMON_FUZZ needs clang (CXX=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
