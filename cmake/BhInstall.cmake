# Install rules: headers, libraries, pkg-config files, the CMake package and
# the man pages. Included from the top-level CMakeLists.txt after src/ is
# added, so the bh and bh_static targets exist.
#
# Everything installed is relocatable: the pkg-config files compute their
# prefix from their own location (${pcfiledir}) and the CMake package from
# its own (PACKAGE_PREFIX_DIR), so `cmake --install build --prefix P`, a
# DESTDIR staging install, or moving P afterwards all work. No build path is
# written into an installed file.

include(CMakePackageConfigHelpers)

set(BH_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bh)
set(BH_COMPAT_INSTALL_DIR ${CMAKE_INSTALL_INCLUDEDIR}/bh-compat)

# The kernel-spelling headers as a target: bh::compat in the build tree and
# in the installed package. It puts the compat directory first on the include
# path and links the shared library.
add_library(bh_compat INTERFACE)
set_target_properties(bh_compat PROPERTIES EXPORT_NAME compat)
target_include_directories(bh_compat INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/compat>
  $<INSTALL_INTERFACE:${BH_COMPAT_INSTALL_DIR}>)
target_link_libraries(bh_compat INTERFACE bh)
add_library(bh::compat ALIAS bh_compat)

# Libraries: libbh.so.0.1.0 with its libbh.so.0 (SONAME) and libbh.so links,
# and libbh.a. The targets' INSTALL_INTERFACE include directory is
# CMAKE_INSTALL_INCLUDEDIR (set in src/CMakeLists.txt).
install(TARGETS bh bh_static bh_compat EXPORT bhTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Public headers. Globbed (re-checked at every build) so that headers added
# for later subsystems are installed without an edit here.
install(FILES ${PROJECT_SOURCE_DIR}/include/bh.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
file(GLOB BH_PUBLIC_HEADERS CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/include/bh/*.h)
if(BH_PUBLIC_HEADERS)
  install(FILES ${BH_PUBLIC_HEADERS}
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bh)
endif()

# Kernel-spelling headers: compat/linux/*.h -> include/bh-compat/linux/, and
# likewise for any other directory under compat/ (asm/, ...), keeping the
# relative layout that `#include <linux/...>` relies on.
file(GLOB_RECURSE BH_COMPAT_HEADERS CONFIGURE_DEPENDS
  RELATIVE ${PROJECT_SOURCE_DIR}/compat ${PROJECT_SOURCE_DIR}/compat/*.h)
foreach(h ${BH_COMPAT_HEADERS})
  get_filename_component(dir ${h} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/compat/${h}
    DESTINATION ${BH_COMPAT_INSTALL_DIR}/${dir})
endforeach()

# pkg-config: prefix relative to the .pc file's own directory.
file(RELATIVE_PATH BH_PC_UP /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" BH_PC_UP "${BH_PC_UP}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE
    "${CMAKE_INSTALL_INCLUDEDIR}")
  # Directories configured outside the prefix cannot be found relative to it.
  set(BH_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  set(BH_PC_PREFIX "\${pcfiledir}/${BH_PC_UP}")
endif()
foreach(pc bh bh-compat)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in
    ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# CMake package: bhConfig.cmake, bhConfigVersion.cmake, bhTargets*.cmake.
# The SONAME tracks the major version, so does package compatibility.
install(EXPORT bhTargets NAMESPACE bh::
  DESTINATION ${BH_CMAKE_INSTALL_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/bhConfig.cmake.in
  ${PROJECT_BINARY_DIR}/bhConfig.cmake
  INSTALL_DESTINATION ${BH_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bhConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bhConfig.cmake
  ${PROJECT_BINARY_DIR}/bhConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/BhModule.cmake
  DESTINATION ${BH_CMAKE_INSTALL_DIR})

# Kernel-style modules: bh_add_module() (above, in the CMake package) and
# a Makefile for `make -f PREFIX/share/bh/module.mk obj-m=hello.o`.
include(${PROJECT_SOURCE_DIR}/cmake/BhModule.cmake)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/module.mk
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bh)

# Man pages: docs/man/*.1 (bh-modrun, bh-torture), *.3 (calls) and *.7 (overviews).
foreach(section 1 3 7)
  file(GLOB BH_MAN_PAGES CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/docs/man/*.${section})
  if(BH_MAN_PAGES)
    install(FILES ${BH_MAN_PAGES}
      DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endif()
endforeach()
