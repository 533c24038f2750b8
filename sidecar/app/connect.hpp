// Reaching the server: the service's connection string, and opening a connection while the
// server comes up, with back-off and cheap probes in between.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sidecar/app/status.hpp"
#include "sidecar/config/config.hpp"
#include "sidecar/db/connection.hpp"
#include "sidecar/wait/stop.hpp"

namespace sg::app {

// The service's connection string with connect_timeout, keepalives and application_name added
// (unless the user set them).
[[nodiscard]] std::string service_conninfo(const config::Config& config);

// Opens a connection, retrying what waiting can fix with back-off; between attempts it probes
// cheaply so that a server coming up is noticed within ~50 ms. Returns nullptr when stopped.
// Throws db::ConnectFailed when waiting cannot help or the attempts are used up.
[[nodiscard]] std::unique_ptr<db::Connection> connect_with_retry(const std::string& conninfo,
                                                                 const config::Config& config,
                                                                 bool provisioning, State* state,
                                                                 wait::Stop& stop,
                                                                 const char* what = "database");

// The server's NOTICEs and WARNINGs on schemagate's connections: logged at debug level.
void log_server_notice(std::string_view text);

}  // namespace sg::app
