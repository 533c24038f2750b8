// The only place that includes libpqxx/libpq: a connection, its queries, and libpqxx's errors
// translated once into ours. Not thread-safe, except cancel(), which another thread may call.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/wait/backoff.hpp"

namespace sg::db {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The connection broke (server restart, network): transient, the caller reconnects.
struct ConnectionLost : Error {
    using Error::Error;
};

// Opening a connection failed; `classification` says whether waiting can fix it.
struct ConnectFailed : Error {
    ConnectFailed(const std::string& message, wait::Classification c)
        : Error(message), classification(std::move(c)) {}
    wait::Classification classification;
};

// The server rejected a statement.
struct SqlError : Error {
    SqlError(const std::string& message, std::string state, std::optional<std::size_t> at_line)
        : Error(message), sqlstate(std::move(state)), line(at_line) {}
    std::string sqlstate;
    std::optional<std::size_t> line;  // 1-based line of the query text the server pointed at
    [[nodiscard]] bool is_cancel() const { return sqlstate == "57014"; }
};

using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;

// What the server says besides results (NOTICE, WARNING); the caller logs them.
using NoticeSink = std::function<void(std::string_view)>;

class Connection {
  public:
    // Connects (throws ConnectFailed). `conninfo` is a URI or key=value string.
    [[nodiscard]] static std::unique_ptr<Connection> open(const std::string& conninfo,
                                                          bool provisioning = false,
                                                          NoticeSink notices = {});
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Sends `sql` as one simple-query message (several statements allowed; they run as one
    // implicit transaction unless they contain transaction control) and returns the rows of the
    // last result. Throws SqlError or ConnectionLost.
    Rows query(const std::string& sql);
    void exec(const std::string& sql) { (void)query(sql); }

    // The first column of the first row, or nullopt.
    std::optional<std::string> value(const std::string& sql);

    [[nodiscard]] std::string literal(std::string_view text);     // 'quoted'
    [[nodiscard]] std::string identifier(std::string_view name);  // "quoted"

    // Asks the server to cancel the running statement. Safe from another thread.
    void cancel() noexcept;

    [[nodiscard]] int backend_pid() const;
    [[nodiscard]] int server_version() const;  // e.g. 150018
    [[nodiscard]] bool is_open() const;

  private:
    struct Impl;
    explicit Connection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Cheap reachability probe (PQping): true when a server answers at all, even if it rejects us.
[[nodiscard]] bool server_answers(const std::string& conninfo);

// libpq's version, e.g. "15.18".
[[nodiscard]] std::string libpq_version();
// How libpq came into the binary: "shared library" or, in the image's build (SCHEMAGATE_STATIC),
// "linked in, without GSSAPI and LDAP".
[[nodiscard]] const char* libpq_build();

// Masks the password in a libpq error message that echoes a connection string (never happens
// in libpq 15, but cheap insurance) and folds it to one line.
[[nodiscard]] std::string one_line(std::string_view message);

// one_line() for a lost connection, with libpqxx's "Could not obtain client encoding: not
// connected." said plainly.
[[nodiscard]] std::string lost_message(std::string_view message);

}  // namespace sg::db
