# Called by ctest (see CMakeLists.txt): NODE, NPM, SDK_DIR and EMULATOR
# are passed with -D.
foreach(pkg mns pop-core)
    if(NOT EXISTS "${SDK_DIR}/node_modules/@alicloud/${pkg}/package.json")
        set(need_install TRUE)
    endif()
endforeach()

if(need_install)
    message(STATUS "installing the SDKs with npm ci")
    execute_process(
        COMMAND "${NPM}" ci --no-audit --no-fund
        WORKING_DIRECTORY "${SDK_DIR}"
        RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "npm ci failed (${rc})")
    endif()
endif()

execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env "MFAGUARD_EMULATOR=${EMULATOR}"
            "${NODE}" --test mns.test.js rpc.test.js
    WORKING_DIRECTORY "${SDK_DIR}"
    RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "SDK interop tests failed (${rc})")
endif()
