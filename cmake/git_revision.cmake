# Writes OUTPUT, a header with the git revision of SOURCE_DIR, when that revision changed (so
# only the few files that include it recompile). Run at every build, not only at configure time,
# so `schemagate version` names the commit the binary was built from. FIXED, when not empty,
# is used as is (a build without .git, such as the image's, passes it in). A tree with changes
# to tracked files gets "-dirty" appended.
#
#   cmake -DSOURCE_DIR=... -DOUTPUT=... [-DFIXED=...] -P git_revision.cmake
if(FIXED)
  set(revision "${FIXED}")
else()
  execute_process(
    COMMAND git rev-parse --short=12 HEAD
    WORKING_DIRECTORY "${SOURCE_DIR}"
    OUTPUT_VARIABLE revision
    RESULT_VARIABLE failed
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(failed OR NOT revision)
    set(revision "unknown")
  else()
    execute_process(
      COMMAND git diff --quiet HEAD --
      WORKING_DIRECTORY "${SOURCE_DIR}"
      RESULT_VARIABLE dirty
      OUTPUT_QUIET ERROR_QUIET)
    if(dirty)
      string(APPEND revision "-dirty")
    endif()
  endif()
endif()
string(REGEX REPLACE "[^0-9A-Za-z._-]" "_" revision "${revision}")
set(content "// Generated at build time by cmake/git_revision.cmake.
#pragma once

namespace sg {
inline constexpr const char* kGitRevision = \"${revision}\";
}  // namespace sg
")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUTPUT}" "${content}")
endif()
