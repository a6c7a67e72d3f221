# bh_add_module(<name> [SOURCES] <source>...)
#
# Build a kernel-style module: <name>.so (no "lib" prefix), position
# independent, against bh::compat, with KBUILD_MODNAME defined as "<name>"
# and MODULE defined, as Kbuild does. Run it with bh-modrun(1).
#
# Shipped in the installed CMake package (find_package(bh CONFIG) defines
# it) and used by the build tree's own examples.
function(bh_add_module name)
  cmake_parse_arguments(BHM "" "" "SOURCES" ${ARGN})
  set(sources ${BHM_SOURCES} ${BHM_UNPARSED_ARGUMENTS})
  if(NOT sources)
    message(FATAL_ERROR "bh_add_module(${name}): no sources")
  endif()
  add_library(${name} MODULE ${sources})
  set_target_properties(${name} PROPERTIES PREFIX "" SUFFIX ".so"
    POSITION_INDEPENDENT_CODE ON C_EXTENSIONS ON)
  target_compile_definitions(${name} PRIVATE "KBUILD_MODNAME=\"${name}\""
    MODULE)
  target_link_libraries(${name} PRIVATE bh::compat)
endfunction()
