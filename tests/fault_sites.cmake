# No allocation, thread or descriptor creation in src/ bypasses fault
# injection (tests/fault_sites.sh). Independent of the build.
add_test(NAME fault_sites
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fault_sites.sh ${PROJECT_SOURCE_DIR})
