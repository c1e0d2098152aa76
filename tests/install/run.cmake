# Install test: installs weft into a temporary prefix, then builds and runs a C program linked
# through pkg-config (--static) and a C++ program built by a CMake project with find_package(weft).
# Run with cmake -P; inputs: WEFT_BINARY_DIR, WEFT_TEST_DIR, WORK_DIR, CMAKE_GENERATOR, CC, CXX.
cmake_minimum_required(VERSION 3.20)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${WEFT_BINARY_DIR} --prefix ${prefix})

file(GLOB_RECURSE pc_files ${prefix}/*/weft.pc)
list(LENGTH pc_files n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one installed weft.pc, found: ${pc_files}")
endif()
get_filename_component(pc_dir ${pc_files} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
run(pkg-config --cflags --libs --static weft)
string(STRIP "${last_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
message(STATUS "pkg-config --cflags --libs --static weft: ${flags}")

# The C program: compiled and linked by the C compiler with nothing but pkg-config's flags (a .pc
# that names another prefix, e.g. the configure-time one, fails here).
run(${CC} -std=c11 -Wall -pedantic ${WEFT_TEST_DIR}/consumer.c -o ${WORK_DIR}/consumer_c ${flags})
run(${WORK_DIR}/consumer_c)
message(STATUS "C program: ${last_output}")
if(NOT last_output MATCHES "weft C consumer ok")
  message(FATAL_ERROR "the C program did not report success")
endif()

# The C++ program: a CMake project using find_package(weft REQUIRED) and weft::weft.
run(${CMAKE_COMMAND} -S ${WEFT_TEST_DIR}/cmake_consumer -B ${WORK_DIR}/cmake_consumer -G ${CMAKE_GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cmake_consumer)
run(${WORK_DIR}/cmake_consumer/consumer)
message(STATUS "C++ program: ${last_output}")
if(NOT last_output MATCHES "weft C\\+\\+ consumer ok")
  message(FATAL_ERROR "the C++ program did not report success")
endif()
