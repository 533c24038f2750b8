// Subcommands, their help text and the mapping of outcomes to exit codes (SPEC: Exit codes).
#pragma once

namespace sg::cli {

enum ExitCode : int {
    kExitOk = 0,
    kExitFailed = 1,       // a migration, seed or verify step failed
    kExitUsage = 2,        // usage or configuration error
    kExitUnreachable = 3,  // database unreachable or non-retryable connection error
    kExitInvalid = 4,      // validation failed: drift, duplicate versions, bad names
    kExitLock = 5,         // lock not acquired within SCHEMAGATE_LOCK_TIMEOUT
};

[[nodiscard]] int main(int argc, char** argv);

}  // namespace sg::cli
