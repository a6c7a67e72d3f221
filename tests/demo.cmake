# test_demo_jitasklet runs the demo executable (examples/jitasklet) and
# checks its output; tell it where the executable is. The examples are added
# after the tests, so test for the option rather than the target.
if(BH_BUILD_EXAMPLES AND EXISTS ${PROJECT_SOURCE_DIR}/examples/CMakeLists.txt
   AND TEST test_demo_jitasklet)
  set_property(TEST test_demo_jitasklet APPEND PROPERTY ENVIRONMENT
    "JITASKLET=$<TARGET_FILE:jitasklet>")
endif()
