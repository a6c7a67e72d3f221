# Kernel-style modules (examples/modules, and tests/modules for bh-modrun's
# own checks) run by bh-modrun (tools/) and checked by
# tests/modrun_check.sh. The examples and tools are added after the tests;
# generator expressions resolve them at generation time.
if(BH_BUILD_EXAMPLES AND EXISTS ${PROJECT_SOURCE_DIR}/examples/modules)
  add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/modules
    ${CMAKE_CURRENT_BINARY_DIR}/modules)
  foreach(case tasklet workqueue jit mistakes signal fd params types noexit)
    add_test(NAME modrun_${case}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/modrun_check.sh
        $<TARGET_FILE:bh-modrun> $<TARGET_FILE_DIR:tasklet_module> ${case}
        $<TARGET_FILE_DIR:probe>)
    set_tests_properties(modrun_${case} PROPERTIES TIMEOUT 300)
  endforeach()
endif()
