# The tasklet protocol model (src/tasklet.pml, docs/MODEL.md), checked
# exhaustively with SPIN by tests/spin_check.sh. It exits 77, reported as
# skipped, when spin is not installed and in sanitizer trees (the model does
# not depend on the build; the plain tree checks it).
add_test(NAME spin_tasklet_model
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/spin_check.sh
    ${PROJECT_SOURCE_DIR} "${BH_SANITIZE}")
set_tests_properties(spin_tasklet_model PROPERTIES SKIP_RETURN_CODE 77
  TIMEOUT 600 ENVIRONMENT "CC=${CMAKE_C_COMPILER}")
