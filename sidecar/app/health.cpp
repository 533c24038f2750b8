#include "sidecar/app/health.hpp"

namespace sg::app {

DatabaseFacts HealthProbe::refresh() {
    DatabaseFacts facts;
    facts.checked_at = Clock::now();
    const auto fail = [&facts](const std::string& name, const std::string& reason) {
        facts.checks.push_back({name, false, reason});
        facts.error = name + ": " + reason;
    };
    if (!conn_ || !conn_->is_open()) {
        try {
            conn_ = db::Connection::open(conninfo_);
        } catch (const db::ConnectFailed& e) {
            conn_.reset();
            fail("connect", e.classification.reason);
            return facts;
        }
    }
    facts.checks.push_back({"connect", true, ""});
    try {
        const auto rows = conn_->query(
            "SELECT current_database(), current_setting('server_version'), "
            "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()), "
            "pg_is_in_recovery()");
        const auto& r = rows.at(0);
        facts.name = r[0].value_or("");
        facts.server_version = r[1].value_or("");
        facts.active_connections = std::stoi(r[2].value_or("0"));
        facts.checks.push_back({"read", true, ""});
        if (r[3] == "t") {
            fail("write", "the server is a read-only standby");
        } else {
            facts.checks.push_back({"write", true, ""});
        }
    } catch (const db::ConnectionLost& e) {
        conn_.reset();
        fail("read", "connection lost");
        return facts;
    } catch (const db::Error& e) {
        fail("read", e.what());
        return facts;
    }
    try {
        // A read-write transaction that begins and ends: refused by a standby or a full disk.
        conn_->exec("BEGIN READ WRITE; SELECT 1; ROLLBACK");
        facts.checks.push_back({"transaction", true, ""});
    } catch (const db::ConnectionLost& e) {
        conn_.reset();
        fail("transaction", "connection lost");
        return facts;
    } catch (const db::Error& e) {
        fail("transaction", e.what());
        return facts;
    }
    facts.reachable = true;
    return facts;
}

}  // namespace sg::app
