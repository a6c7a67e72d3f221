# bh-torture (tools/torture, docs/RELIABILITY.md): a short seeded run in
# every tree, and self-tests proving that the checker catches what it
# claims to: an injected lost run (exit 1, "lost execution"), an injected
# overlap (exit 1, "concurrent run") and an injected hang (exit 2, "STALL"
# with the stacks). Plain tree: the short run under valgrind memcheck too.
# The tools are added after the tests, so test the directory, not the
# target.
#
# What torture_short pins (each checked continuously, see
# docs/RELIABILITY.md, "Invariants"), spelled out so that grep finds them:
# SPEC U1 (the storm's handler calls), SPEC U6 (shutdown finds nothing),
# SPEC T3, SPEC T9, SPEC T20, SPEC T21 (tasklets), SPEC S2,
# SPEC S7, SPEC S9 (softirqs), SPEC K2, SPEC K5, SPEC K6, SPEC K7 (timers),
# SPEC W2, SPEC W4, SPEC W5, SPEC W6 (work), SPEC C1, SPEC C4, SPEC C6,
# SPEC C7, SPEC C9, SPEC C10, SPEC C11 (flush, cancel, destroy), SPEC D3,
# SPEC D7, SPEC D11 (delayed work), SPEC F7 (ordered), SPEC X2, SPEC X4
# (disable).
if(EXISTS ${PROJECT_SOURCE_DIR}/tools/torture/CMakeLists.txt)
  set(BH_TORTURE $<TARGET_FILE:bh-torture>)
  set(BH_TORTURE_EXPECT ${CMAKE_CURRENT_SOURCE_DIR}/torture_expect.sh)
  if(BH_SANITIZE STREQUAL "")
    set(BH_TORTURE_GDB "")
  else()
    # The sanitizer runtimes make a debugger attach slow; the signal-
    # based stacks are enough to prove the report.
    set(BH_TORTURE_GDB --no-gdb)
  endif()

  add_test(NAME torture_short
    COMMAND ${BH_TORTURE} --duration 3s --seed 1 --stall 60s)
  add_test(NAME torture_detects_lost_run
    COMMAND ${BH_TORTURE_EXPECT} 1 "VIOLATION: lost execution"
      ${BH_TORTURE} --duration 1s --seed 1 --inject-bug=lost-run)
  add_test(NAME torture_detects_concurrent_run
    COMMAND ${BH_TORTURE_EXPECT} 1 "VIOLATION: concurrent run"
      ${BH_TORTURE} --duration 1s --seed 1 --inject-bug=concurrent)
  # --stall 3s: far above any real operation even under TSan on a loaded
  # 2-core machine, so the report names the injected hang, not another.
  add_test(NAME torture_detects_stall
    COMMAND ${BH_TORTURE_EXPECT} 2 "STALL: thread 0 .* stuck in injected stall"
      ${BH_TORTURE} --duration 10s --seed 1 --stall 3s ${BH_TORTURE_GDB}
      --inject-bug=stall)
  set_tests_properties(torture_short torture_detects_lost_run
    torture_detects_concurrent_run torture_detects_stall
    PROPERTIES TIMEOUT 300)

  find_program(BH_VALGRIND valgrind)
  if(BH_VALGRIND AND BH_SANITIZE STREQUAL "")
    add_test(NAME valgrind_torture
      COMMAND ${BH_VALGRIND} --quiet --leak-check=full
        --show-leak-kinds=definite,indirect,possible
        --errors-for-leak-kinds=definite,indirect,possible
        --error-exitcode=99
        ${BH_TORTURE} --duration 2s --seed 1 --threads 2
          --signal-hz 2000 --stall 120s)
    set_tests_properties(valgrind_torture PROPERTIES TIMEOUT 300)
  endif()
endif()
