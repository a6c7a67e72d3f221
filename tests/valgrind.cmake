# SPEC U6 under valgrind memcheck: start and stop the threaded runtime
# three times; any leak or memory error fails the test. Sanitizer builds
# skip it (valgrind cannot run ASan/TSan binaries).
add_executable(leakcheck_shutdown ${CMAKE_CURRENT_SOURCE_DIR}/leakcheck_shutdown.c)
target_compile_options(leakcheck_shutdown PRIVATE ${BH_WARNINGS})
target_link_libraries(leakcheck_shutdown PRIVATE bh)
find_program(BH_VALGRIND valgrind)
if(BH_VALGRIND AND BH_SANITIZE STREQUAL "")
  add_test(NAME valgrind_shutdown_no_leak
    COMMAND ${BH_VALGRIND} --quiet --leak-check=full
      --show-leak-kinds=definite,indirect,possible
      --errors-for-leak-kinds=definite,indirect,possible
      --error-exitcode=99 $<TARGET_FILE:leakcheck_shutdown>)
else()
  add_test(NAME valgrind_shutdown_no_leak COMMAND $<TARGET_FILE:leakcheck_shutdown>)
endif()
set_tests_properties(valgrind_shutdown_no_leak PROPERTIES TIMEOUT 300)
