# What a program linking weft::weft needs: C++20 for weft.hpp, and the C++ runtime for a C program.
#
# C++20 is a usage requirement, so that a C++ program including weft.hpp compiles without setting
# a standard itself. The exception is a parent project that enabled only C and includes weft with
# add_subdirectory: it compiles no C++, and CMake rejects a C++ feature on its targets ("No known
# features for CXX compiler"), so there the requirement stays private (the installed package
# still carries it). WEFT_PARENT_LANGUAGES is read before project() in the top CMakeLists.txt.
if(WEFT_TOP_LEVEL OR "CXX" IN_LIST WEFT_PARENT_LANGUAGES)
  target_compile_features(weft PUBLIC cxx_std_20)
else()
  target_compile_features(weft PRIVATE cxx_std_20 INTERFACE $<INSTALL_INTERFACE:cxx_std_20>)
endif()

# A static libweft holds C++ code. A consumer linked by the C++ driver gets the C++ runtime from
# it; a C program is linked by the C driver, which does not add it (and CMake does not switch a
# C-only project to the C++ driver, which it may not have). So a consumer whose link language is
# not C++ links the libraries the C++ driver adds beyond the C driver's ones, as this build's
# compilers report them (libstdc++ and libm with GCC).
set(WEFT_CXX_RUNTIME_LIBS ${CMAKE_CXX_IMPLICIT_LINK_LIBRARIES})
if(CMAKE_C_IMPLICIT_LINK_LIBRARIES)
  list(REMOVE_ITEM WEFT_CXX_RUNTIME_LIBS ${CMAKE_C_IMPLICIT_LINK_LIBRARIES})
endif()
list(REMOVE_DUPLICATES WEFT_CXX_RUNTIME_LIBS)
get_target_property(WEFT_LIBRARY_TYPE weft TYPE)
if(WEFT_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
  foreach(lib IN LISTS WEFT_CXX_RUNTIME_LIBS)
    target_link_libraries(weft INTERFACE $<$<NOT:$<LINK_LANGUAGE:CXX>>:${lib}>)
  endforeach()
endif()
