#include "sidecar/provision/provision.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sidecar/db/dsn.hpp"
#include "sidecar/migrate/lock.hpp"
#include "sidecar/provision/password.hpp"

namespace sg::provision {

namespace {

using Clock = std::chrono::steady_clock;
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

// The session advisory lock that serialises provisioning on one server. Waiters queue in the
// server (pg_advisory_lock) and get it the moment the holder lets go: with a fleet of sidecars
// starting at once, polling would leave the lock unused for a sleep between holders. Each wait
// is a slice of at most kLockSlice (lock_timeout, local to that statement's transaction), so a
// stop request, the overall timeout and progress reports are seen in between. A blocking wait is
// safe here, unlike for the migration lock: provisioning never runs CREATE INDEX CONCURRENTLY,
// which would wait for the waiter's open transaction while the waiter waits for it.
constexpr milliseconds kLockSlice{250};

class ProvisionLock {
  public:
    // `what` names the lock in messages ("provisioning lock").
    ProvisionLock(db::Connection& connection, std::int64_t key, std::string what)
        : conn_(connection), key_(key), what_(std::move(what)) {}
    ProvisionLock(const ProvisionLock&) = delete;
    ProvisionLock& operator=(const ProvisionLock&) = delete;
    ~ProvisionLock() { release(); }

    // Gives the lock back now (the destructor would, later).
    void release() noexcept {
        if (held_) {
            held_ = false;
            unlock_quietly();
        }
    }

    void acquire(milliseconds timeout, wait::Stop& stop) {
        const auto start = Clock::now();
        const auto deadline = start + timeout;
        const std::string lock_sql = "; SELECT pg_advisory_lock(" + std::to_string(key_) + ")";
        auto next_report = start + std::chrono::seconds(2);
        for (;;) {
            if (stop.requested()) {
                throw Stopped("stopped while waiting for the " + what_);
            }
            // lock_timeout 0 would mean no limit: every slice is at least 1 ms.
            const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
            const auto slice = std::clamp(left, milliseconds(1), kLockSlice);
            // Both settings last for this message only; a role's short statement_timeout must
            // not cut the wait short.
            try {
                (void)conn_.query(
                    "SELECT set_config('lock_timeout', '" + std::to_string(slice.count()) +
                    "', true), set_config('statement_timeout', '0', true)" + lock_sql);
                held_ = true;
                return;
            } catch (const db::SqlError& e) {
                if (e.sqlstate != "55P03") {  // lock_not_available: the slice ran out
                    // A cancel may land just after the lock was granted: a session lock
                    // outlives the failed statement, so give it back (a no-op if not held).
                    unlock_quietly();
                    if (e.is_cancel() && stop.requested()) {
                        throw Stopped("stopped while waiting for the " + what_);
                    }
                    throw;
                }
            }
            const auto now = Clock::now();
            if (now >= deadline) {
                const std::string who = holder();
                throw LockTimeout(
                    "timed out after " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                    "s waiting for the " + what_ + " held by " +
                    (who.empty() ? std::string("another runner") : who) +
                    "; wait for it to finish or raise SCHEMAGATE_LOCK_TIMEOUT");
            }
            if (now >= next_report) {
                const std::string who = holder();
                spdlog::info("waiting for the {} holder=\"{}\"", what_,
                             who.empty() ? "another runner" : who);
                next_report = now + std::chrono::seconds(10);
            }
        }
    }

  private:
    void unlock_quietly() noexcept {
        try {
            (void)conn_.value("SELECT pg_advisory_unlock(" + std::to_string(key_) + ")");
        } catch (...) {  // closing the connection releases a session lock anyway
        }
    }

    std::string holder() { return migrate::advisory_lock_holder(conn_, key_); }

    db::Connection& conn_;
    std::int64_t key_;
    std::string what_;
    bool held_ = false;
};

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

// Availability of each extension on the server (the same from any database).
std::vector<ExtensionFacts> observe_extensions(db::Connection& conn, Quoter& quote,
                                               const Desired& desired, bool in_database) {
    std::vector<ExtensionFacts> out;
    const bool has_trusted = conn.server_version() >= 130000;
    for (const auto& name : desired.extensions) {
        const std::string lit = quote.literal(name);
        const std::string needs_superuser =
            has_trusted ? "v.superuser AND NOT v.trusted" : std::string("v.superuser");
        std::string sql =
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = ";
        sql.append(lit)
            .append("), coalesce((SELECT ")
            .append(needs_superuser)
            .append(
                " FROM pg_catalog.pg_available_extension_versions v JOIN "
                "pg_catalog.pg_available_extensions a ON a.name = v.name AND a.default_version = "
                "v.version WHERE v.name = ")
            .append(lit)
            .append("), true), ");
        if (in_database) {
            sql.append("EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = ")
                .append(lit)
                .append(")");
        } else {
            sql.append("false");
        }
        const auto rows = conn.query(sql);
        ExtensionFacts facts;
        facts.name = name;
        if (!rows.empty() && rows.front().size() == 3) {
            facts.available = rows.front()[0] == "t";
            facts.needs_superuser = rows.front()[1] == "t";
            facts.installed = rows.front()[2] == "t";
        }
        out.push_back(std::move(facts));
    }
    return out;
}

ClusterFacts observe_cluster(db::Connection& conn, Quoter& quote, const Desired& desired) {
    const std::string role = quote.literal(desired.role);
    const std::string db = quote.literal(desired.database);
    const auto rows = conn.query(
        "SELECT current_user, r.rolsuper, r.rolcreaterole, r.rolcreatedb, t.oid IS NOT NULL, "
        "coalesce(t.rolcanlogin, false), "
        "CASE WHEN t.oid IS NULL THEN false ELSE pg_has_role(current_user, t.oid, 'USAGE') END, "
        "d.oid IS NOT NULL, coalesce(pg_get_userbyid(d.datdba)::text, ''), "
        "CASE WHEN d.oid IS NULL THEN false "
        "ELSE has_database_privilege('public', d.oid, 'CONNECT') END, "
        "CASE WHEN d.oid IS NULL OR t.oid IS NULL THEN false "
        "ELSE has_database_privilege(t.oid, d.oid, 'CONNECT') END, current_database() "
        "FROM pg_catalog.pg_roles r "
        "LEFT JOIN pg_catalog.pg_roles t ON t.rolname = " +
        role + " LEFT JOIN pg_catalog.pg_database d ON d.datname = " + db +
        " WHERE r.rolname = current_user");
    if (rows.size() != 1 || rows.front().size() != 12) {
        throw Error("provisioning could not read the admin role from pg_roles");
    }
    const auto& r = rows.front();
    ClusterFacts facts;
    facts.admin_role = r[0].value_or("");
    facts.superuser = r[1] == "t";
    facts.createrole = r[2] == "t";
    facts.createdb = r[3] == "t";
    facts.role_exists = r[4] == "t";
    facts.role_can_login = r[5] == "t";
    facts.admin_acts_as_role = r[6] == "t";
    facts.database_exists = r[7] == "t";
    facts.database_owner = r[8].value_or("");
    facts.public_can_connect = r[9] == "t";
    facts.role_can_connect = r[10] == "t";
    facts.admin_database = r[11].value_or("");

    if (!manages_role(desired) || !desired.role_password) {
        facts.password = PasswordState::kNotWanted;
    } else if (!facts.role_exists) {
        facts.password = PasswordState::kUnset;
    } else if (!facts.superuser) {
        // pg_authid is readable by superusers only: set the password, report no change.
        facts.password = PasswordState::kUnknown;
    } else {
        const auto stored =
            conn.value("SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = " + role);
        if (!stored) {
            facts.password = PasswordState::kUnset;
        } else {
            switch (check_password(*stored, desired.role_password->reveal(), desired.role)) {
                case PasswordMatch::kMatches:
                    facts.password = PasswordState::kMatches;
                    break;
                case PasswordMatch::kDiffers:
                    facts.password = PasswordState::kDiffers;
                    break;
                case PasswordMatch::kUnknown:
                    facts.password = PasswordState::kUnknown;
                    break;
            }
        }
    }
    facts.extensions = observe_extensions(conn, quote, desired, false);
    return facts;
}

DatabaseFacts observe_database(db::Connection& conn, Quoter& quote, const Desired& desired) {
    const std::string role = quote.literal(desired.role);
    const std::string schema = quote.literal(desired.schema);
    const auto rows = conn.query(
        "SELECT current_user, r.rolsuper, r.rolcreaterole, "
        "has_database_privilege(current_database(), 'CREATE'), n.oid IS NOT NULL, "
        "coalesce(pg_get_userbyid(n.nspowner)::text, ''), "
        "coalesce((SELECT bool_or(a.grantee = 0) FROM aclexplode(n.nspacl) a), false), "
        "CASE WHEN n.oid IS NULL OR t.oid IS NULL THEN false "
        "ELSE has_schema_privilege(t.oid, n.oid, 'USAGE') END, "
        "CASE WHEN n.oid IS NULL OR t.oid IS NULL THEN false "
        "ELSE has_schema_privilege(t.oid, n.oid, 'CREATE') END, "
        "coalesce((SELECT bool_or(c = 'search_path=' || quote_ident(" +
        schema +
        ") || ', public') FROM pg_catalog.pg_db_role_setting s, unnest(s.setconfig) c "
        "WHERE s.setrole = t.oid AND s.setdatabase = (SELECT oid FROM pg_catalog.pg_database "
        "WHERE datname = current_database())), false) "
        "FROM pg_catalog.pg_roles r "
        "LEFT JOIN pg_catalog.pg_roles t ON t.rolname = " +
        role + " LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = " + schema +
        " WHERE r.rolname = current_user");
    if (rows.size() != 1 || rows.front().size() != 10) {
        throw Error("provisioning could not read the admin role from pg_roles");
    }
    const auto& r = rows.front();
    DatabaseFacts facts;
    facts.admin_role = r[0].value_or("");
    facts.superuser = r[1] == "t";
    facts.createrole = r[2] == "t";
    facts.admin_can_create = r[3] == "t";
    facts.schema_exists = r[4] == "t";
    facts.schema_owner = r[5].value_or("");
    facts.schema_public_access = r[6] == "t";
    facts.role_schema_usage = r[7] == "t";
    facts.role_schema_create = r[8] == "t";
    facts.search_path_ok = r[9] == "t";
    facts.extensions = observe_extensions(conn, quote, desired, true);
    return facts;
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

std::int64_t lock_key() {
    return migrate::advisory_key("schemagate\x1fprovision");
}

std::int64_t schema_lock_key(std::string_view schema) {
    std::string material = "schemagate\x1fprovision\x1f";
    material += schema;
    return migrate::advisory_key(material);
}

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
