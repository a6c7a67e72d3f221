# The public headers must compile as C++: a C++ translation unit that
# includes <bh.h> is built (not linked, so sanitizer flags do not
# matter) with warnings as errors. Skipped where no C++ compiler exists.
include(CheckLanguage)
check_language(CXX)
if(CMAKE_CXX_COMPILER)
  enable_language(CXX)
  add_library(cxx_headers_check OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/cxx_headers.cpp)
  set_target_properties(cxx_headers_check PROPERTIES CXX_STANDARD 11
    CXX_STANDARD_REQUIRED ON)
  target_compile_options(cxx_headers_check PRIVATE -Wall -Wextra -Werror)
  target_include_directories(cxx_headers_check PRIVATE
    ${PROJECT_SOURCE_DIR}/include)
endif()
