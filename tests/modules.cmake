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
  # test_modinfo loads two modules into one process (RTLD_LOCAL).
  if(TEST test_modinfo)
    set_property(TEST test_modinfo APPEND PROPERTY ENVIRONMENT
      "BH_TASKLET_MODULE=$<TARGET_FILE:tasklet_module>"
      "BH_WORKQUEUE_MODULE=$<TARGET_FILE:workqueue_module>")
    target_link_libraries(test_modinfo PRIVATE ${CMAKE_DL_LIBS})
  endif()
endif()
