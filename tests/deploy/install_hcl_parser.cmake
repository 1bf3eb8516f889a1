# Called by ctest (see CMakeLists.txt) with -DNPM=... -DDIR=...: install
# @cdktf/hcl2json into DIR/node_modules with `npm ci` from the committed
# package-lock.json, unless it is there already. Never fails the run: the
# Terraform checks fall back to a structural parse and print a note.
if(EXISTS "${DIR}/node_modules/@cdktf/hcl2json/package.json")
    message(STATUS "HCL parser present")
    return()
endif()
if(NOT NPM)
    message(WARNING "npm not found: the Terraform checks will parse "
                    "structurally only")
    return()
endif()
execute_process(
    COMMAND "${NPM}" ci --no-audit --no-fund
    WORKING_DIRECTORY "${DIR}"
    RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(WARNING "npm ci failed (${rc}): the Terraform checks will "
                    "parse structurally only")
endif()
