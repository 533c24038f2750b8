// The exit codes of every command (SPEC: Exit codes), below every module that chooses one.
#pragma once

namespace sg::app {

enum ExitCode : int {
    kExitOk = 0,
    kExitFailed = 1,       // a migration, seed or verify step failed
    kExitUsage = 2,        // usage or configuration error
    kExitUnreachable = 3,  // database unreachable or non-retryable connection error
    kExitInvalid = 4,      // validation failed: drift, duplicate versions, bad names
    kExitLock = 5,         // lock not acquired within SCHEMAGATE_LOCK_TIMEOUT
};

}  // namespace sg::app
