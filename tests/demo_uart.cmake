# test_demo_uart runs the UART demo (examples/uart) as a user would and
# drives it through its pty; tell it where the executable is. As in
# demo.cmake: the examples are added after the tests.
if(BH_BUILD_EXAMPLES AND EXISTS ${PROJECT_SOURCE_DIR}/examples/CMakeLists.txt
   AND TEST test_demo_uart)
  set_property(TEST test_demo_uart APPEND PROPERTY ENVIRONMENT
    "UART_DEMO=$<TARGET_FILE:uart>")
endif()
