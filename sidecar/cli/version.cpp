// `schemagate version`: version, git revision, libpq and the servers it supports.
#include "sidecar/version.hpp"

#include <cstdio>

#include "sidecar/cli/command.hpp"
#include "sidecar/db/connection.hpp"

namespace sg::cli {

int cmd_version() {
    std::printf(
        "schemagate %s (git %s)\nlibpq %s (%s)\nPostgreSQL servers: 12 and later (tested with "
        "15)\n",
        kVersion, kGitRevision, db::libpq_version().c_str(), db::libpq_build());
    return kExitOk;
}

}  // namespace sg::cli
