# ctest: regenerates the hardware-spec bindings into a temporary folder and fails if they differ
# from the committed files (run `cmake -P scripts/gen-hw-spec.cmake` after editing the spec).
# Usage: cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<tmp> -P tests/rtl/check_hw_spec.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" -DOUT_DIR=${WORK_DIR} -P
                        "${SOURCE_DIR}/scripts/gen-hw-spec.cmake" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "scripts/gen-hw-spec.cmake failed (${rc})")
endif()
foreach(pair "hw_spec.h=accelerator/include/lowvolt/accelerator/hw_spec.h"
             "lowvolt_hw_pkg.sv=rtl/generated/lowvolt_hw_pkg.sv")
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 fresh)
  list(GET pair 1 committed)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${WORK_DIR}/${fresh}"
                          "${SOURCE_DIR}/${committed}" RESULT_VARIABLE diff)
  if(NOT diff EQUAL 0)
    message(FATAL_ERROR "${committed} is stale: regenerate it with `cmake -P scripts/gen-hw-spec.cmake`")
  endif()
endforeach()
message(STATUS "hw spec bindings are up to date")
