// What provisioning reads before it plans: the cluster's catalogs on the admin connection, the
// target database's from inside it. Internal to the provision module.
#pragma once

#include "sidecar/db/connection.hpp"
#include "sidecar/provision/desired.hpp"

namespace sg::provision::detail {

// Throws Error when the admin role cannot be read.
[[nodiscard]] ClusterFacts observe_cluster(db::Connection& conn, Quoter& quote,
                                           const Desired& desired);
[[nodiscard]] DatabaseFacts observe_database(db::Connection& conn, Quoter& quote,
                                             const Desired& desired);

}  // namespace sg::provision::detail
