# cmake -D SCDOC=... -D INPUT=docs/procrun.1.scd -D OUTPUT=procrun.1 -D VERSION=x.y.z -P scdoc.cmake
# Renders the man page with scdoc, writing the version into its footer.
cmake_minimum_required(VERSION 3.25)
file(READ "${INPUT}" text)
string(REPLACE "@VERSION@" "${VERSION}" text "${text}")
get_filename_component(out_dir "${OUTPUT}" DIRECTORY)
set(tmp "${out_dir}/procrun.1.scd.versioned")
file(WRITE "${tmp}" "${text}")
execute_process(COMMAND "${SCDOC}" INPUT_FILE "${tmp}" OUTPUT_FILE "${OUTPUT}.tmp"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUTPUT}.tmp")
  message(FATAL_ERROR "scdoc failed on ${INPUT}: ${err}")
endif()
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
