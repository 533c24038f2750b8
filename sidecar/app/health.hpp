// The database facts behind /health: one kept connection, queried by the worker, never by a
// request handler. Not thread-safe: the worker owns it.
#pragma once

#include <memory>
#include <string>

#include "sidecar/app/status.hpp"
#include "sidecar/db/connection.hpp"

namespace sg::app {

class HealthProbe {
  public:
    HealthProbe(std::string conninfo, std::unique_ptr<db::Connection> connection)
        : conninfo_(std::move(conninfo)), conn_(std::move(connection)) {}

    // Checks connect, read, write and transaction; reconnects once if the connection is gone.
    [[nodiscard]] DatabaseFacts refresh();

  private:
    std::string conninfo_;
    std::unique_ptr<db::Connection> conn_;
};

}  // namespace sg::app
