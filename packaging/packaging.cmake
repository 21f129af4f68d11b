# Installation of everything but the binary (the man page, shell completions,
# the .procrun.yaml JSON Schema, the licence, Debian's copyright and changelog)
# and the CPack packages: .deb, .rpm, .tar.gz.
# Included at the end of the top-level CMakeLists.txt. The version comes from
# project(VERSION) there and nowhere else.
#
#   cmake --install BUILD [--prefix /usr/local]    binary, man page, completions
#   (cd BUILD && cpack -G DEB)                      procrun_VERSION_ARCH.deb (likewise RPM, TGZ)
#   cmake --build BUILD --target procrun-recipes    source tarball + Homebrew formula + PKGBUILD

set(PROCRUN_PACKAGING_DIR "${CMAKE_CURRENT_LIST_DIR}")
set(PROCRUN_PACKAGE_MAINTAINER
    "procrun maintainers <maintainers@users.noreply.b-seed-4a68b584.example>"
    CACHE STRING "Maintainer written into the .deb and .rpm (Name <address>)")
# The licence is LICENSE's (MIT); its SPDX name goes into the .rpm, the formula and the PKGBUILD.
set(PROCRUN_PACKAGE_LICENSE "MIT")
set(PROCRUN_HOMEPAGE "https://b-seed-4a68b584.example/procrun"
    CACHE STRING "Project homepage for the .deb, .rpm, formula and PKGBUILD")
set(PROCRUN_SOURCE_URL "" CACHE STRING
    "Public URL of the release tarball for the Homebrew formula (default: file:// of the local one)")
option(PROCRUN_COMPRESS_MANPAGE "Install the man page gzip-compressed (procrun.1.gz)" ON)

# zsh: empty means "the standard place": Debian's zsh reads /usr/share/zsh/vendor-completions
# for packages (the .deb, or `--prefix /usr` on Debian); everyone else (Arch, Fedora, Homebrew,
# zsh's default fpath, and /usr/local on Debian) reads PREFIX/share/zsh/site-functions.
set(PROCRUN_ZSH_COMPLETION_DIR ""
    CACHE STRING "Where the zsh completion _procrun is installed, relative to the prefix (empty: the standard place)")
set(PROCRUN_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
    CACHE STRING "Where the bash completion is installed (relative to the prefix)")
set(PROCRUN_FISH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d"
    CACHE STRING "Where the fish completion is installed (relative to the prefix)")

# --- the man page: docs/procrun.1.scd -> BUILD/procrun.1 (scdoc) ------------------------------
find_program(SCDOC_EXECUTABLE scdoc)
find_program(GZIP_EXECUTABLE gzip)
set(PROCRUN_MANPAGE_SOURCE "${PROJECT_SOURCE_DIR}/docs/procrun.1.scd")
if(SCDOC_EXECUTABLE AND EXISTS "${PROCRUN_MANPAGE_SOURCE}")
  set(PROCRUN_MANPAGE "${PROJECT_BINARY_DIR}/procrun.1")
  add_custom_command(
    OUTPUT "${PROCRUN_MANPAGE}"
    COMMAND "${CMAKE_COMMAND}" -D "SCDOC=${SCDOC_EXECUTABLE}" -D "INPUT=${PROCRUN_MANPAGE_SOURCE}"
            -D "OUTPUT=${PROCRUN_MANPAGE}" -D "VERSION=${PROJECT_VERSION}"
            -P "${PROCRUN_PACKAGING_DIR}/scdoc.cmake"
    DEPENDS "${PROCRUN_MANPAGE_SOURCE}" "${PROCRUN_PACKAGING_DIR}/scdoc.cmake"
    COMMENT "Building the man page procrun.1 with scdoc"
    VERBATIM)
  set(_procrun_man_outputs "${PROCRUN_MANPAGE}")
  set(_procrun_man_install "${PROCRUN_MANPAGE}")
  if(PROCRUN_COMPRESS_MANPAGE AND GZIP_EXECUTABLE)
    # -n: no name or timestamp in the header, so the .gz is reproducible.
    add_custom_command(
      OUTPUT "${PROCRUN_MANPAGE}.gz"
      COMMAND "${GZIP_EXECUTABLE}" -9 -n -c "${PROCRUN_MANPAGE}" > "${PROCRUN_MANPAGE}.gz"
      DEPENDS "${PROCRUN_MANPAGE}"
      VERBATIM)
    list(APPEND _procrun_man_outputs "${PROCRUN_MANPAGE}.gz")
    set(_procrun_man_install "${PROCRUN_MANPAGE}.gz")
  endif()
  add_custom_target(procrun-man ALL DEPENDS ${_procrun_man_outputs})
  install(FILES "${_procrun_man_install}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
elseif(NOT SCDOC_EXECUTABLE)
  message(STATUS "scdoc not found: the man page procrun(1) is not built or installed "
                 "(apt-get install scdoc)")
endif()

# --- shell completions --------------------------------------------------------------------------
install(FILES "${PROCRUN_PACKAGING_DIR}/completions/procrun.bash"
        DESTINATION "${PROCRUN_BASH_COMPLETION_DIR}" RENAME procrun)
if(PROCRUN_ZSH_COMPLETION_DIR)
  install(FILES "${PROCRUN_PACKAGING_DIR}/completions/_procrun"
          DESTINATION "${PROCRUN_ZSH_COMPLETION_DIR}")
else()
  # Decided at install time: CPackProjectConfig.cmake tells which package is being made.
  install(CODE "
    set(_procrun_zsh_dir \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/zsh/site-functions\")
    if(\"\$ENV{PROCRUN_CPACK_GENERATOR}\" STREQUAL \"DEB\" OR
       (\"\$ENV{PROCRUN_CPACK_GENERATOR}\" STREQUAL \"\" AND EXISTS \"/etc/debian_version\"
        AND \"\${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\"))
      set(_procrun_zsh_dir \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions\")
    endif()
    file(INSTALL DESTINATION \"\${_procrun_zsh_dir}\" TYPE FILE
         FILES \"${PROCRUN_PACKAGING_DIR}/completions/_procrun\")
  ")
endif()
install(FILES "${PROCRUN_PACKAGING_DIR}/completions/procrun.fish"
        DESTINATION "${PROCRUN_FISH_COMPLETION_DIR}")

# --- the JSON Schema of .procrun.yaml, for editors (docs/config.md) and the licence -------------
install(FILES "${PROCRUN_PACKAGING_DIR}/procrun.schema.json"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/procrun")
# Fedora, Arch and Homebrew keep licence texts in share/licenses/NAME; the .deb carries it in its
# copyright file instead (below).
install(CODE "
  if(NOT \"\$ENV{PROCRUN_CPACK_GENERATOR}\" STREQUAL \"DEB\")
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/licenses/procrun\"
         TYPE FILE FILES \"${PROJECT_SOURCE_DIR}/LICENSE\")
  endif()
")

# --- CPack --------------------------------------------------------------------------------------
set(CPACK_PACKAGE_NAME "procrun")
set(CPACK_PACKAGE_VENDOR "procrun maintainers")
set(CPACK_PACKAGE_CONTACT "${PROCRUN_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Procfile-driven process manager")
set(CPACK_PACKAGE_DESCRIPTION_FILE "${PROCRUN_PACKAGING_DIR}/description.txt")
set(CPACK_GENERATOR "DEB;RPM;TGZ")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CHECKSUM SHA256)
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/packages")
set(CPACK_PACKAGE_FILE_NAME "procrun-${PROJECT_VERSION}-${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}")
# DEB and RPM install under /usr; the .tar.gz is relocatable (bin/, share/ at its top).
set(CPACK_PROJECT_CONFIG_FILE "${PROJECT_BINARY_DIR}/packaging/CPackProjectConfig.cmake")

# Debian: Depends computed by dpkg-shlibdeps from the binary's NEEDED entries.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PROCRUN_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION "utils")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROCRUN_HOMEPAGE}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE "xz")

# RPM: Requires computed by rpmbuild's find-requires; do not claim the shared
# directories the man page and completions go into.
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_LICENSE "${PROCRUN_PACKAGE_LICENSE}")
set(CPACK_RPM_PACKAGE_GROUP "Development/Tools")
set(CPACK_RPM_PACKAGE_URL "${PROCRUN_HOMEPAGE}")
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /usr/share/man /usr/share/man/man1 /usr/share/bash-completion
    /usr/share/bash-completion/completions /usr/share/zsh /usr/share/zsh/site-functions
    /usr/share/zsh/vendor-completions /usr/share/fish /usr/share/fish/vendor_completions.d
    /usr/share/doc /usr/share/licenses)

# Debian wants /usr/share/doc/procrun/{copyright,changelog.gz}: installed into the .deb only.
string(TIMESTAMP _procrun_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(PROCRUN_DEB_DOC_DIR "${PROJECT_BINARY_DIR}/packaging/deb-doc")
# The copyright file in Debian's machine-readable format, its licence text taken from LICENSE
# (after the copyright line; each line indented by one space, " ." for an empty one).
file(READ "${PROJECT_SOURCE_DIR}/LICENSE" _procrun_license)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/LICENSE")
string(REGEX REPLACE "^.*Copyright[^\n]*\n\n" "" _procrun_license "${_procrun_license}")
string(REGEX REPLACE "\n+$" "" _procrun_license "${_procrun_license}")
string(REPLACE "\n\n" "\n.\n" _procrun_license "${_procrun_license}")
string(REPLACE "\n" "\n " _procrun_license "${_procrun_license}")
set(PROCRUN_LICENSE_TEXT " ${_procrun_license}")
configure_file("${PROCRUN_PACKAGING_DIR}/debian/copyright" "${PROCRUN_DEB_DOC_DIR}/copyright" @ONLY)
configure_file("${PROCRUN_PACKAGING_DIR}/debian/changelog.in"
               "${PROJECT_BINARY_DIR}/packaging/changelog" @ONLY)
if(GZIP_EXECUTABLE)
  execute_process(COMMAND "${GZIP_EXECUTABLE}" -9 -n -c "${PROJECT_BINARY_DIR}/packaging/changelog"
                  OUTPUT_FILE "${PROCRUN_DEB_DOC_DIR}/changelog.gz")
endif()
install(CODE "
  if(\"\$ENV{PROCRUN_CPACK_GENERATOR}\" STREQUAL \"DEB\")
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/doc/procrun\"
         TYPE FILE FILES \"${PROCRUN_DEB_DOC_DIR}/copyright\" \"${PROCRUN_DEB_DOC_DIR}/changelog.gz\")
  endif()
")
# Strip the .deb's binary as Debian's dh_strip does (also the .comment and .note sections).
if(CMAKE_STRIP)
  install(CODE "
    if(\"\$ENV{PROCRUN_CPACK_GENERATOR}\" STREQUAL \"DEB\" AND CMAKE_INSTALL_DO_STRIP)
      execute_process(COMMAND \"${CMAKE_STRIP}\" --remove-section=.comment --remove-section=.note
                      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/procrun\"
                      RESULT_VARIABLE _procrun_strip)
      if(NOT _procrun_strip EQUAL 0)
        message(FATAL_ERROR \"strip failed on procrun\")
      endif()
    endif()
  ")
endif()
configure_file("${PROCRUN_PACKAGING_DIR}/CPackProjectConfig.cmake.in"
               "${CPACK_PROJECT_CONFIG_FILE}" @ONLY)

include(CPack)

# --- Homebrew formula and Arch PKGBUILD for this version's source tarball -----------------------
# `git archive` of HEAD -> BUILD/packaging/procrun-VERSION.tar.gz, then the
# formula and the PKGBUILD with its sha256 next to it.
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  add_custom_target(procrun-recipes
    COMMAND "${CMAKE_COMMAND}" -D "GIT=${GIT_EXECUTABLE}" -D "SOURCE_DIR=${PROJECT_SOURCE_DIR}"
            -D "OUT_DIR=${PROJECT_BINARY_DIR}/packaging" -D "VERSION=${PROJECT_VERSION}"
            -D "DESCRIPTION=${CPACK_PACKAGE_DESCRIPTION_SUMMARY}"
            -D "LICENSE=${PROCRUN_PACKAGE_LICENSE}"
            -D "MAINTAINER=${PROCRUN_PACKAGE_MAINTAINER}"
            -D "SOURCE_URL=${PROCRUN_SOURCE_URL}" -D "HOMEPAGE=${PROCRUN_HOMEPAGE}"
            -P "${PROCRUN_PACKAGING_DIR}/recipes.cmake"
    COMMENT "Writing the source tarball, the Homebrew formula and the Arch PKGBUILD"
    VERBATIM)
endif()

# The packaging test (tests/e2e/packaging_test.cpp, hidden from the test list
# as [.packaging]) builds Release packages in a build tree of its own, so a
# sanitizer or debug build still tests real ones. That build takes minutes:
# its own ctest entry, with room for it, not run beside timing-sensitive tests.
if(TARGET procrun_e2e_tests)
  target_compile_definitions(procrun_e2e_tests PRIVATE
    PROCRUN_PACKAGING_BUILD_DIR="${PROJECT_BINARY_DIR}/packaging-release"
    PROCRUN_CMAKE="${CMAKE_COMMAND}"
    PROCRUN_CPACK="${CMAKE_CPACK_COMMAND}")
  add_test(NAME "e2e: packaging (.deb, .rpm, .tar.gz, lintian, Homebrew, Arch)"
           COMMAND procrun_e2e_tests "[packaging]")
  set_tests_properties("e2e: packaging (.deb, .rpm, .tar.gz, lintian, Homebrew, Arch)"
                       PROPERTIES TIMEOUT 2400 RUN_SERIAL ON
                                  SKIP_RETURN_CODE 77)  # tests/support/skip.hpp
endif()
