#include "sidecar/provision/provision.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sidecar/db/dsn.hpp"
#include "sidecar/provision/lock.hpp"
#include "sidecar/provision/observe.hpp"
#include "sidecar/provision/password.hpp"

namespace sg::provision {

namespace {

using detail::observe_cluster;
using detail::observe_database;
using detail::ProvisionLock;
using std::chrono::milliseconds;

constexpr int kAttempts = 5;  // per step, for conflicts with concurrent catalog updates

class ConnectionQuoter final : public Quoter {
  public:
    explicit ConnectionQuoter(db::Connection& connection) : conn_(connection) {}
    std::string identifier(std::string_view name) override { return conn_.identifier(name); }
    std::string literal(std::string_view text) override { return conn_.literal(text); }

  private:
    db::Connection& conn_;
};

std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) {
        if (!out.empty()) {
            out += "; ";
        }
        out += line;
    }
    return out;
}

// Conflicts with concurrent catalog updates: trying again succeeds. The database client reports
// serialization failures and deadlocks without their SQLSTATE, so their text counts too.
bool is_transient(const db::Error& e, std::string_view sqlstate) {
    const std::string_view text = e.what();
    return sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55006" ||
           sqlstate == "55P03" ||
           (sqlstate == "XX000" && text.find("concurrently") != std::string_view::npos) ||
           (sqlstate.empty() && (text.find("deadlock detected") != std::string_view::npos ||
                                 text.find("could not serialize") != std::string_view::npos));
}

// The statement as it may be shown: a password verifier is cut off.
std::string shown(const Step& step) {
    if (!step.secret) {
        return step.sql;
    }
    const auto at = step.sql.find(" PASSWORD ");
    return (at == std::string::npos ? step.sql : step.sql.substr(0, at)) + " PASSWORD ****";
}

std::string masked_message(std::string message, const std::optional<config::Secret>& password) {
    if (password && !password->empty()) {
        const std::string& secret = password->reveal();
        for (auto at = message.find(secret); at != std::string::npos;
             at = message.find(secret, at + 4)) {
            message.replace(at, secret.size(), "****");
        }
    }
    return message;
}

void fail_on(const std::vector<std::string>& problems) {
    if (!problems.empty()) {
        throw Error(join(problems));
    }
}

void run(db::Connection& conn, const Plan& plan, const Desired& desired, Report& report,
         wait::Stop& stop) {
    fail_on(plan.problems);
    for (const auto& step : plan.steps) {
        for (int attempt = 1;; ++attempt) {
            if (stop.requested()) {
                throw Stopped("provisioning stopped");
            }
            try {
                conn.exec(step.sql);
                spdlog::debug("provisioning ran \"{}\"", shown(step));
                if (!step.change.empty()) {
                    report.changes.push_back(step.change);
                }
                break;
            } catch (const db::SqlError& e) {
                if (e.is_cancel() && stop.requested()) {
                    throw Stopped("provisioning stopped");
                }
                if (std::find(step.already.begin(), step.already.end(), e.sqlstate) !=
                    step.already.end()) {
                    spdlog::debug("provisioning found it done by another runner: \"{}\"",
                                  shown(step));
                    break;
                }
                if (is_transient(e, e.sqlstate) && attempt < kAttempts) {
                    if (!stop.sleep_for(milliseconds(100 * attempt))) {
                        throw Stopped("provisioning stopped");
                    }
                    continue;
                }
                throw Error("provisioning failed at \"" + shown(step) +
                            "\": " + masked_message(e.what(), desired.role_password) +
                            (e.sqlstate.empty() ? "" : " (SQLSTATE " + e.sqlstate + ")"));
            } catch (const db::ConnectionLost&) {
                throw;
            } catch (const db::Error& e) {
                if (is_transient(e, "") && attempt < kAttempts) {
                    if (!stop.sleep_for(milliseconds(100 * attempt))) {
                        throw Stopped("provisioning stopped");
                    }
                    continue;
                }
                throw Error("provisioning failed at \"" + shown(step) +
                            "\": " + masked_message(e.what(), desired.role_password));
            }
        }
    }
}

std::optional<config::Secret> password_value(const Desired& desired) {
    if (!desired.role_password) {
        return std::nullopt;
    }
    const std::string& password = desired.role_password->reveal();
    if (can_prehash(password)) {
        return config::Secret(new_scram_verifier(password));
    }
    return desired.role_password;  // the server applies SASLprep, then hashes it
}

// Throws on names that cannot be provisioned or a stop request; false when there is nothing to
// provision (no connection is needed then).
bool worth_provisioning(const Desired& desired, wait::Stop& stop) {
    if (const auto found = problems(desired); !found.empty()) {
        throw Error(join(found));
    }
    if (!has_work(desired)) {
        return false;
    }
    if (stop.requested()) {
        throw Stopped("provisioning stopped");
    }
    return true;
}

Report provision_on(db::Connection& admin, const std::string& admin_conninfo,
                    const Desired& desired, wait::Stop& stop, const Options& options) {
    Report report;
    const auto cancel_admin = stop.on_request([&admin] { admin.cancel(); });
    ConnectionQuoter admin_quote(admin);
    // Two locks: the server-wide one for the cluster's objects (roles, databases), then, inside
    // the target database, one for its schema. Services in one database provision their
    // schemas side by side; replicas of one service still take turns.
    ProvisionLock lock(admin, lock_key(), "provisioning lock");
    lock.acquire(options.lock_timeout, stop);

    const ClusterFacts cluster = observe_cluster(admin, admin_quote, desired);
    const Plan cluster_plan = plan_cluster(
        desired, cluster, admin_quote,
        cluster.password == PasswordState::kMatches ? std::nullopt : password_value(desired));
    fail_on(cluster_plan.problems);

    // Inside the target database: schema, grants, search_path, extensions. Extensions land in
    // "public", which every role in the database may use, so search_path = "<schema>, public".
    // The admin connection serves when it is in that database already.
    const bool admin_inside = cluster.admin_database == desired.database;
    std::unique_ptr<db::Connection> own_target;
    db::Connection* target = nullptr;
    std::optional<wait::Stop::Registration> cancel_target;
    const auto open_target = [&] {
        if (admin_inside) {
            target = &admin;
        } else {
            own_target = db::Connection::open(db::with_database(admin_conninfo, desired.database),
                                              true, options.notices);
            target = own_target.get();
            cancel_target.emplace(stop.on_request([target] { target->cancel(); }));
        }
        target->exec("SET search_path TO public");
    };
    if (cluster.database_exists) {
        // Check the privileges needed inside it too before changing anything. In database
        // isolation the admin acts as the owner once the cluster steps ran.
        open_target();
        ConnectionQuoter quote(*target);
        DatabaseFacts before = observe_database(*target, quote, desired);
        before.admin_can_create =
            before.admin_can_create || desired.isolation == config::Isolation::kDatabase;
        fail_on(plan_database(desired, before, quote).problems);
    }

    run(admin, cluster_plan, desired, report, stop);
    lock.release();

    if (target == nullptr) {
        open_target();
    }
    ProvisionLock schema_lock(*target, schema_lock_key(desired.schema),
                              "provisioning lock of schema " + desired.schema);
    schema_lock.acquire(options.lock_timeout, stop);
    ConnectionQuoter target_quote(*target);
    const DatabaseFacts facts = observe_database(*target, target_quote, desired);
    run(*target, plan_database(desired, facts, target_quote), desired, report, stop);
    cancel_target.reset();
    return report;
}

}  // namespace

Report provision(const std::string& admin_conninfo, const Desired& desired, wait::Stop& stop,
                 const Options& options) {
    if (!worth_provisioning(desired, stop)) {
        return {};
    }
    const auto admin = db::Connection::open(admin_conninfo, true, options.notices);
    return provision_on(*admin, admin_conninfo, desired, stop, options);
}

Report provision(db::Connection& admin, const std::string& admin_conninfo, const Desired& desired,
                 wait::Stop& stop, const Options& options) {
    if (!worth_provisioning(desired, stop)) {
        return {};
    }
    return provision_on(admin, admin_conninfo, desired, stop, options);
}

}  // namespace sg::provision
