#include "sidecar/db/connection.hpp"

#include <charconv>
#include <mutex>

#include <libpq-fe.h>
#include <pqxx/pqxx>

namespace sg::db {

namespace {

class NoticeHandler final : public pqxx::errorhandler {
  public:
    NoticeHandler(pqxx::connection_base& c, NoticeSink sink)
        : pqxx::errorhandler(c), sink_(std::move(sink)) {}
    bool operator()(const char msg[]) noexcept override {
        if (sink_) {
            try {
                std::string_view text(msg);
                while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
                    text.remove_suffix(1);
                }
                sink_(text);
            } catch (...) {  // a logging failure must not escape into libpq
            }
        }
        return false;  // never pass it on: libpqxx's default writes to stderr
    }

  private:
    NoticeSink sink_;
};

// libpq formats a positioned error as "...\nLINE 12: <text>\n   ^": take the 12.
std::optional<std::size_t> error_line(std::string_view message) {
    const auto at = message.find("\nLINE ");
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    std::size_t line = 0;
    const char* begin = message.data() + at + 6;
    const char* end = message.data() + message.size();
    const auto [ptr, ec] = std::from_chars(begin, end, line);
    if (ec != std::errc() || ptr == begin || ptr == end || *ptr != ':') {
        return std::nullopt;
    }
    return line;
}

}  // namespace

std::string lost_message(std::string_view message) {
    // libpqxx says this when libpq already knew the connection was gone (the server restarted
    // or crashed, or ended the session) before the query was sent.
    if (message.find("not connected") != std::string_view::npos) {
        return "the connection was closed (the server restarted or crashed, or ended the session)";
    }
    return one_line(message);
}

std::string one_line(std::string_view message) {
    // Keep the primary message and DETAIL/HINT; drop libpq's LINE/caret excerpt.
    std::string out;
    std::size_t start = 0;
    while (start <= message.size()) {
        auto end = message.find('\n', start);
        if (end == std::string_view::npos) {
            end = message.size();
        }
        std::string_view line = message.substr(start, end - start);
        while (!line.empty() &&
               (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) {
            line.remove_suffix(1);
        }
        const bool excerpt =
            line.substr(0, 5) == "LINE " || line.find_first_not_of(" ^") == std::string_view::npos;
        if (!excerpt) {
            const auto blank = [](char c) { return c == ' ' || c == '\t'; };
            while (!line.empty() && blank(line.front())) {
                line.remove_prefix(1);
            }
            if (line.substr(0, 7) == "ERROR: " || line.substr(0, 7) == "FATAL: ") {
                line.remove_prefix(7);
            }
            while (!line.empty() && blank(line.front())) {
                line.remove_prefix(1);
            }
            if (!out.empty()) {
                out += "; ";
            }
            // One line of plain text: libpq indents its hints with a TAB; no control byte
            // survives into a log line or /health.
            for (const char c : line) {
                const auto u = static_cast<unsigned char>(c);
                out += (u < 0x20 || u == 0x7f) ? ' ' : c;
            }
        }
        if (end == message.size()) {
            break;
        }
        start = end + 1;
    }
    return out;
}

struct Connection::Impl {
    explicit Impl(const std::string& conninfo) : conn(conninfo) {}
    pqxx::connection conn;
    std::unique_ptr<NoticeHandler> notices;
    std::mutex cancel_mutex;  // cancel() against destruction
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Connection::~Connection() {
    const std::lock_guard lock(impl_->cancel_mutex);
    impl_->notices.reset();
}

std::unique_ptr<Connection> Connection::open(const std::string& conninfo, bool provisioning,
                                             NoticeSink notices) {
    std::unique_ptr<Impl> impl;
    try {
        impl = std::make_unique<Impl>(conninfo);
    } catch (const pqxx::broken_connection& e) {
        const std::string message = one_line(e.what());
        throw ConnectFailed(message, wait::classify_connect_error(message, provisioning));
    } catch (const pqxx::failure& e) {
        const std::string message = one_line(e.what());
        throw ConnectFailed(message, wait::classify_connect_error(message, provisioning));
    }
    // A silent reconnect would drop session state (the advisory lock, search_path): never.
    // libpqxx 6.4 deprecates the switch but still reactivates by default, so it stays.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    impl->conn.inhibit_reactivation(true);
#pragma GCC diagnostic pop
    impl->notices = std::make_unique<NoticeHandler>(impl->conn, std::move(notices));
    return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Rows Connection::query(const std::string& sql) {
    // libpq already knows the connection is gone: say so without asking libpqxx 6.4, which leaks
    // the error result of a query sent on a dead connection.
    if (!is_open()) {
        throw ConnectionLost(lost_message("not connected"));
    }
    try {
        pqxx::nontransaction tx(impl_->conn);
        const pqxx::result result = tx.exec(sql);
        Rows rows;
        rows.reserve(static_cast<std::size_t>(result.size()));
        for (const auto& row : result) {
            Row out;
            out.reserve(static_cast<std::size_t>(row.size()));
            for (const auto& field : row) {
                if (field.is_null()) {
                    out.emplace_back(std::nullopt);
                } else {
                    out.emplace_back(std::string(field.c_str(), field.size()));
                }
            }
            rows.push_back(std::move(out));
        }
        return rows;
    } catch (const pqxx::broken_connection& e) {
        throw ConnectionLost(lost_message(e.what()));
    } catch (const pqxx::insufficient_privilege& e) {
        // libpqxx 6.4 throws this one without its SQLSTATE.
        throw SqlError(one_line(e.what()), "42501", error_line(e.what()));
    } catch (const pqxx::sql_error& e) {
        if (!is_open()) {
            throw ConnectionLost(lost_message(e.what()));
        }
        throw SqlError(one_line(e.what()), e.sqlstate(), error_line(e.what()));
    } catch (const pqxx::transaction_rollback& e) {
        // Not an sql_error in libpqxx 6.4, and without its SQLSTATE: recover it from the type.
        const char* state =
            dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr              ? "40P01"
            : dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr        ? "40001"
            : dynamic_cast<const pqxx::statement_completion_unknown*>(&e) != nullptr ? "40003"
                                                                                     : "40000";
        throw SqlError(one_line(e.what()), state, error_line(e.what()));
    } catch (const pqxx::in_doubt_error& e) {
        throw ConnectionLost(one_line(e.what()));
    } catch (const pqxx::failure& e) {
        if (!is_open()) {
            throw ConnectionLost(one_line(e.what()));
        }
        throw Error(one_line(e.what()));
    }
}

std::optional<std::string> Connection::value(const std::string& sql) {
    auto rows = query(sql);
    if (rows.empty() || rows.front().empty()) {
        return std::nullopt;
    }
    return std::move(rows.front().front());
}

std::string Connection::literal(std::string_view text) {
    try {
        return impl_->conn.quote(std::string(text));
    } catch (const pqxx::broken_connection& e) {
        throw ConnectionLost(lost_message(e.what()));
    }
}

std::string Connection::identifier(std::string_view name) {
    try {
        return impl_->conn.quote_name(std::string(name));
    } catch (const pqxx::broken_connection& e) {
        throw ConnectionLost(lost_message(e.what()));
    }
}

void Connection::cancel() noexcept {
    const std::lock_guard lock(impl_->cancel_mutex);
    try {
        impl_->conn.cancel_query();
    } catch (...) {  // nothing running, or the connection is gone: nothing to cancel
    }
}

int Connection::backend_pid() const {
    return impl_->conn.backendpid();
}
int Connection::server_version() const {
    return impl_->conn.server_version();
}
bool Connection::is_open() const {
    return impl_->conn.is_open();
}

bool server_answers(const std::string& conninfo) {
    return PQping(conninfo.c_str()) != PQPING_NO_RESPONSE;
}

std::string libpq_version() {
    const int v = PQlibVersion();
    return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
}

const char* libpq_build() {
#ifdef SCHEMAGATE_LIBPQ_LINKED_IN
    return "linked in, without GSSAPI and LDAP";
#else
    return "shared library";
#endif
}

}  // namespace sg::db
