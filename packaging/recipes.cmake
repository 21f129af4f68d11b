# cmake -D GIT=git -D SOURCE_DIR=... -D OUT_DIR=... -D VERSION=... -D DESCRIPTION=...
#       -D LICENSE=... -D MAINTAINER=... [-D SOURCE_URL=...] [-D HOMEPAGE=...] -P recipes.cmake
#
# Writes the release source tarball (`git archive` of HEAD) and, next to it, the
# Homebrew formula and the Arch PKGBUILD for exactly that tarball:
#   OUT_DIR/procrun-VERSION.tar.gz
#   OUT_DIR/homebrew/procrun.rb     (url: SOURCE_URL, else file:// of the tarball)
#   OUT_DIR/arch/PKGBUILD           (with the tarball beside it, so `makepkg` works there)
cmake_minimum_required(VERSION 3.25)
set(name "procrun-${VERSION}")
set(tarball "${OUT_DIR}/${name}.tar.gz")
file(MAKE_DIRECTORY "${OUT_DIR}/homebrew" "${OUT_DIR}/arch")
execute_process(
  COMMAND "${GIT}" -C "${SOURCE_DIR}" archive --format=tar.gz "--prefix=${name}/" -o "${tarball}" HEAD
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "git archive failed: ${err}")
endif()
file(SHA256 "${tarball}" PROCRUN_SOURCE_SHA256)

set(PROCRUN_VERSION "${VERSION}")
set(PROCRUN_DESCRIPTION "${DESCRIPTION}")
set(PROCRUN_LICENSE "${LICENSE}")
set(PROCRUN_MAINTAINER "${MAINTAINER}")
if(SOURCE_URL)
  set(PROCRUN_SOURCE_URL "${SOURCE_URL}")
else()
  set(PROCRUN_SOURCE_URL "file://${tarball}")
endif()
# Homebrew and Arch both want a homepage; write the line only when there is one.
if(HOMEPAGE)
  set(PROCRUN_HOMEPAGE_RB "\n  homepage \"${HOMEPAGE}\"")
  set(PROCRUN_HOMEPAGE_PKGBUILD "\nurl='${HOMEPAGE}'")
else()
  set(PROCRUN_HOMEPAGE_RB "")
  set(PROCRUN_HOMEPAGE_PKGBUILD "")
endif()

configure_file("${CMAKE_CURRENT_LIST_DIR}/homebrew/procrun.rb" "${OUT_DIR}/homebrew/procrun.rb" @ONLY)
configure_file("${CMAKE_CURRENT_LIST_DIR}/arch/PKGBUILD" "${OUT_DIR}/arch/PKGBUILD" @ONLY)
file(COPY "${tarball}" DESTINATION "${OUT_DIR}/arch")
message(STATUS "source:   ${tarball} (sha256 ${PROCRUN_SOURCE_SHA256})")
message(STATUS "homebrew: ${OUT_DIR}/homebrew/procrun.rb")
message(STATUS "arch:     ${OUT_DIR}/arch/PKGBUILD")
