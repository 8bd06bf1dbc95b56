# Common compile settings for every first-party target.
function(scrm_target_settings target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
  if(SCRM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(SCRM_SANITIZE)
  # Asio recycles handler and coroutine-frame memory itself; turning that off
  # lets AddressSanitizer see every allocation.
  add_compile_definitions(BOOST_ASIO_DISABLE_SMALL_BLOCK_RECYCLING)
  add_compile_options(-fsanitize=${SCRM_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SCRM_SANITIZE})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND SCRM_SANITIZE MATCHES "undefined")
    # clang 14 cannot emit UBSan's function-type check in coroutines ("Cannot
    # represent a difference across sections"): that one check is left out.
    add_compile_options(-fno-sanitize=function)
  endif()
  if(SCRM_FUZZ)
    # rapidjson 1.1.0 (Debian's) adds an offset to a null pointer when its
    # stack is first used; clang reports it. scripts/fuzz.sh suppresses that
    # one report (tests/fuzz/ubsan.supp), which needs the check recoverable.
    add_compile_options(-fsanitize-recover=pointer-overflow)
  endif()
endif()

if(SCRM_FUZZ)
  # Coverage instrumentation in every library, so libFuzzer is guided by the
  # parsers' own branches, not only the harness's.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
