// Provisioning with the admin connection: takes the provisioning lock, observes the catalogs,
// checks privileges before changing anything, runs desired.hpp's plans and reports the changes.
// Lost connections escape as db::ConnectionLost / db::ConnectFailed for the caller's retry loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/db/connection.hpp"
#include "sidecar/provision/desired.hpp"
#include "sidecar/wait/stop.hpp"

namespace sg::provision {

// Waiting cannot fix it: one line naming the cause and the fix (never a password).
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Another runner held the provisioning lock for longer than Options::lock_timeout.
struct LockTimeout : Error {
    using Error::Error;
};

// Stop was requested; the running statement was cancelled.
struct Stopped : Error {
    using Error::Error;
};

struct Report {
    // "created role auth", "rotated password of role auth", "created database auth_db owned by
    // auth", ... in the order they happened; empty when everything was already in place.
    std::vector<std::string> changes;
};

struct Options {
    std::chrono::milliseconds lock_timeout{std::chrono::minutes(5)};
    db::NoticeSink notices;  // the server's NOTICEs and WARNINGs
};

// The provisioning lock's key: the first 8 bytes of SHA-256("schemagate" 0x1f "provision"), one
// key for the whole server because roles are cluster-wide. Session advisory locks are per
// database: every runner's admin URL should name the same database (normally "postgres").
[[nodiscard]] std::int64_t lock_key();

// The lock for the steps inside the target database (schema, its grants, the role's
// search_path there, extensions), taken in that database after the server-wide lock is given
// back: the first 8 bytes of SHA-256("schemagate" 0x1f "provision" 0x1f schema).
[[nodiscard]] std::int64_t schema_lock_key(std::string_view schema);

// Makes `desired` true using `admin_conninfo` (opened here; for database and schema isolation
// also opened on `desired.database`). Idempotent: a second run changes nothing and reports no
// changes. Safe when many runners provision at once. Throws Error (LockTimeout, Stopped) or
// lets db::ConnectionLost / db::ConnectFailed escape.
[[nodiscard]] Report provision(const std::string& admin_conninfo, const Desired& desired,
                               wait::Stop& stop, const Options& options = {});

// The same on an admin connection the caller already holds (opened on `admin_conninfo`), as
// the sidecar does after waiting for the server with it: one connection fewer to open. When that
// connection is already in `desired.database` (an admin URL naming the service's database), the
// steps inside the database run on it too, so provisioning holds one connection, not two (its
// search_path is then left at "public", where extensions are created).
[[nodiscard]] Report provision(db::Connection& admin, const std::string& admin_conninfo,
                               const Desired& desired, wait::Stop& stop,
                               const Options& options = {});

}  // namespace sg::provision
