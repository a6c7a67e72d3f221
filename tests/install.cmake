# The install check (tests/install_check.sh): install this build tree into a
# temporary prefix and build pkg-config and find_package() consumers against
# it. It exits 77, reported as skipped, in a sanitizer build.
add_test(NAME install_check
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install_check.sh
    ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR} "${BH_SANITIZE}"
    ${CMAKE_COMMAND})
set_tests_properties(install_check PROPERTIES SKIP_RETURN_CODE 77
  TIMEOUT 300)
