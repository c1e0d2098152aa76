# Install test: weft as its users get it, in each of the ways README.md describes. MODE picks one:
#  static: the build under test (WEFT_BINARY_DIR, a static library) installed into a prefix: a C program
#     and the C++ quick start built with pkg-config --static alone, a C-only CMake project and a C++
#     CMake project with find_package(weft).
#  shared: a shared build (BUILD_SHARED_LIBS=ON, configured here from this source tree) installed into
#     another prefix: the same consumers, linked against libweft.so.
#  subdirectory: a C-only and a C++ CMake project that include this source tree with
#     add_subdirectory (built in Debug, the quickest to compile).
# The README's two quick starts are cut from README.md itself, so this fails when they stop
# building or stop printing their result.
# Run with cmake -P; inputs: MODE, WEFT_BINARY_DIR (static), WEFT_TEST_DIR, WORK_DIR, CMAKE_GENERATOR,
# CC, CXX.
cmake_minimum_required(VERSION 3.25)

get_filename_component(source_dir ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# expect_output(WHAT REGEX COMMAND...): runs a built program and checks what it printed.
function(expect_output what regex)
  run(${ARGN})
  string(STRIP "${last_output}" shown)
  if(NOT last_output MATCHES "${regex}")
    message(FATAL_ERROR "${what}: expected output matching '${regex}', got:\n${last_output}")
  endif()
  message(STATUS "${what}: ${shown}")
endfunction()

# The code block of the given language that follows `heading` in README.md.
function(readme_block heading lang out_file)
  file(READ ${source_dir}/README.md readme)
  string(FIND "${readme}" "${heading}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "README.md has no heading '${heading}'")
  endif()
  string(SUBSTRING "${readme}" ${at} -1 rest)
  string(FIND "${rest}" "```${lang}\n" open)
  if(open EQUAL -1)
    message(FATAL_ERROR "README.md has no ```${lang} block after '${heading}'")
  endif()
  string(LENGTH "```${lang}\n" fence)
  math(EXPR open "${open} + ${fence}")
  string(SUBSTRING "${rest}" ${open} -1 rest)
  string(FIND "${rest}" "```" close)
  string(SUBSTRING "${rest}" 0 ${close} code)
  file(WRITE ${out_file} "${code}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(quickstart_cpp ${WORK_DIR}/quickstart.cpp)
set(quickstart_c ${WORK_DIR}/quickstart.c)
readme_block("## Quick start: C++" cpp ${quickstart_cpp})
readme_block("## Quick start: C" c ${quickstart_c})
set(quickstart_cpp_prints "^832040\n$")  # fib(30)
set(quickstart_c_prints "^144\n$")

# pkg_config_flags(PREFIX OUT [--static]): the flags pkg-config gives for the weft.pc under PREFIX;
# also sets <OUT>_libdir.
function(pkg_config_flags prefix out)
  file(GLOB_RECURSE pc_files ${prefix}/*/weft.pc)
  list(LENGTH pc_files n)
  if(NOT n EQUAL 1)
    message(FATAL_ERROR "expected one installed weft.pc under ${prefix}, found: ${pc_files}")
  endif()
  get_filename_component(pc_dir ${pc_files} DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pc_dir})
  run(pkg-config --cflags --libs ${ARGN} weft)
  string(STRIP "${last_output}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  message(STATUS "pkg-config --cflags --libs ${ARGN} weft: ${flags}")
  run(pkg-config --variable=libdir weft)
  string(STRIP "${last_output}" libdir)
  set(${out} ${flags} PARENT_SCOPE)
  set(${out}_libdir ${libdir} PARENT_SCOPE)
endfunction()

# cmake_consumers(NAME [-DVAR=VALUE...]): configures, builds and runs the C-only and the C++ CMake
# consumer projects with the given cache settings (build type, a prefix for find_package or
# WEFT_SOURCE_DIR).
function(cmake_consumers name)
  set(c_dir ${WORK_DIR}/${name}-c)
  run(${CMAKE_COMMAND} -S ${WEFT_TEST_DIR}/c_consumer -B ${c_dir} -G ${CMAKE_GENERATOR}
      -DCMAKE_C_COMPILER=${CC} -DQUICKSTART_C=${quickstart_c} ${ARGN})
  run(${CMAKE_COMMAND} --build ${c_dir})
  expect_output("${name}, C-only CMake project: C program" "weft C consumer ok" ${c_dir}/consumer)
  expect_output("${name}, C-only CMake project: README C quick start" "${quickstart_c_prints}" ${c_dir}/quickstart)
  set(cxx_dir ${WORK_DIR}/${name}-cxx)
  run(${CMAKE_COMMAND} -S ${WEFT_TEST_DIR}/cmake_consumer -B ${cxx_dir} -G ${CMAKE_GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX} -DQUICKSTART_CPP=${quickstart_cpp} ${ARGN})
  run(${CMAKE_COMMAND} --build ${cxx_dir})
  expect_output("${name}, C++ CMake project: C++ program" "weft C\\+\\+ consumer ok" ${cxx_dir}/consumer)
  expect_output("${name}, C++ CMake project: README C++ quick start" "${quickstart_cpp_prints}" ${cxx_dir}/quickstart)
endfunction()

if(MODE STREQUAL "static")
  set(static_prefix ${WORK_DIR}/static-prefix)
  run(${CMAKE_COMMAND} --install ${WEFT_BINARY_DIR} --prefix ${static_prefix})
  pkg_config_flags(${static_prefix} static_flags --static)
  # Compiled and linked with nothing but pkg-config's flags: a .pc that names another prefix (the
  # configure-time one, say) fails here.
  run(${CC} -std=c11 -Wall -pedantic ${WEFT_TEST_DIR}/consumer.c -o ${WORK_DIR}/static-pc-c ${static_flags})
  expect_output("static, pkg-config: C program" "weft C consumer ok" ${WORK_DIR}/static-pc-c)
  run(${CXX} -std=c++20 ${quickstart_cpp} -o ${WORK_DIR}/static-pc-quickstart ${static_flags})
  expect_output("static, pkg-config: README C++ quick start" "${quickstart_cpp_prints}" ${WORK_DIR}/static-pc-quickstart)
  cmake_consumers(static -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${static_prefix})
elseif(MODE STREQUAL "shared")
  set(shared_build ${WORK_DIR}/shared-build)
  set(shared_prefix ${WORK_DIR}/shared-prefix)
  run(${CMAKE_COMMAND} -S ${source_dir} -B ${shared_build} -G ${CMAKE_GENERATOR} -DBUILD_SHARED_LIBS=ON
      -DWEFT_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=${CC} -DCMAKE_CXX_COMPILER=${CXX})
  run(${CMAKE_COMMAND} --build ${shared_build})
  run(${CMAKE_COMMAND} --install ${shared_build} --prefix ${shared_prefix})
  file(GLOB_RECURSE static_libs ${shared_prefix}/*/libweft.a)
  file(GLOB_RECURSE shared_libs ${shared_prefix}/*/libweft.so)
  if(static_libs OR NOT shared_libs)
    message(FATAL_ERROR "the shared build installed '${static_libs}' and '${shared_libs}'")
  endif()
  pkg_config_flags(${shared_prefix} shared_flags)
  # Programs linked by hand find libweft.so through LD_LIBRARY_PATH (the CMake-built ones get an
  # RPATH).
  set(with_libdir ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${shared_flags_libdir})
  run(${CC} -std=c11 -Wall -pedantic ${WEFT_TEST_DIR}/consumer.c -o ${WORK_DIR}/shared-pc-c ${shared_flags})
  expect_output("shared, pkg-config: C program" "weft C consumer ok" ${with_libdir} ${WORK_DIR}/shared-pc-c)
  run(${CXX} -std=c++20 ${quickstart_cpp} -o ${WORK_DIR}/shared-pc-quickstart ${shared_flags})
  expect_output("shared, pkg-config: README C++ quick start" "${quickstart_cpp_prints}"
                ${with_libdir} ${WORK_DIR}/shared-pc-quickstart)
  cmake_consumers(shared -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${shared_prefix})
elseif(MODE STREQUAL "subdirectory")
  cmake_consumers(subdirectory -DCMAKE_BUILD_TYPE=Debug -DWEFT_SOURCE_DIR=${source_dir})
else()
  message(FATAL_ERROR "MODE must be static, shared or subdirectory, not '${MODE}'")
endif()
