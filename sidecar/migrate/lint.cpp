#include "sidecar/migrate/lint.hpp"

#include "sidecar/migrate/directives.hpp"
#include "sidecar/migrate/placeholders.hpp"
#include "sidecar/migrate/sql_lexer.hpp"

namespace sg::migrate {

namespace {

std::string at_line(std::size_t line, const std::string& message) {
    return "line " + std::to_string(line) + ": " + message;
}

// All problems of one file; `prepared` receives the result when there are none.
std::vector<std::string> check(const Migration& m, const Placeholders& placeholders,
                               Prepared* prepared) {
    std::vector<std::string> problems;
    const Directives directives = parse_directives(m.sql);
    for (const auto& e : directives.errors) {
        problems.emplace_back(at_line(e.line, e.message));
    }
    std::string text;
    if (directives.no_placeholders || m.no_placeholders) {
        text = m.sql;
    } else {
        Substitution s;
        if (m.sql.find("${") != std::string::npos) {
            Placeholders with_file = placeholders;
            const auto slash = m.script.rfind('/');
            with_file["flyway:filename"] =
                slash == std::string::npos ? m.script : m.script.substr(slash + 1);
            s = substitute(m.sql, with_file);
        } else {
            s = substitute(m.sql, placeholders);
        }
        for (const auto& e : s.errors) {
            std::string known;
            const bool flyway_name = e.name.size() > 7 && (e.name[6] == ':');
            for (const auto& [name, value] : placeholders) {
                if (flyway_name || name.rfind("flyway:", 0) != 0) {
                    known += (known.empty() ? "" : ", ") + name;
                }
            }
            problems.emplace_back(at_line(e.line, "unknown placeholder ${" + e.name +
                                                      "}; known: " + known +
                                                      " (set SCHEMAGATE_PLACEHOLDER_" + e.name +
                                                      " or add -- schemagate:no-placeholders)"));
        }
        text = std::move(s.text);
    }
    const SplitResult split = split_statements(text);
    if (split.error) {
        problems.emplace_back(at_line(split.error->line, split.error->message));
        return problems;
    }
    if (split.statements.empty()) {
        problems.emplace_back("has no SQL statement (only comments)");
        return problems;
    }
    const bool no_transaction = directives.no_transaction || m.no_transaction;
    const bool transactional = !no_transaction && m.type != MigrationType::kVerify;
    for (const auto& st : split.statements) {
        if (is_transaction_control(st)) {
            problems.emplace_back(at_line(st.line,
                                          "transaction control (BEGIN/COMMIT/ROLLBACK...) is not "
                                          "allowed: each file already runs in its own "
                                          "transaction; remove it, or add "
                                          "-- schemagate:no-transaction as the first line"));
        } else if (const auto command = no_transaction_command(st); transactional && command) {
            problems.emplace_back(at_line(st.line, std::string(*command) +
                                                       " cannot run inside a transaction; add "
                                                       "-- schemagate:no-transaction as the file's "
                                                       "first line"));
        }
    }
    if (m.type == MigrationType::kVerify && directives.no_transaction) {
        problems.emplace_back(
            "verify files always run read-only in one transaction; remove "
            "-- schemagate:no-transaction");
    }
    if (problems.empty() && prepared != nullptr) {
        prepared->no_transaction = no_transaction;
        if (no_transaction) {
            for (const auto& st : split.statements) {
                prepared->statements.emplace_back(st.text);
                prepared->lines.push_back(st.line);
            }
        }
        prepared->text = std::move(text);
    }
    return problems;
}

}  // namespace

std::vector<ScanProblem> lint(const MigrationSet& files, const Placeholders& placeholders) {
    std::vector<ScanProblem> out;
    for (const auto* list :
         {&files.versioned, &files.repeatable, &files.undo, &files.seed, &files.verify}) {
        for (const auto& m : *list) {
            for (auto& p : check(m, placeholders, nullptr)) {
                out.push_back({m.script, std::move(p)});
            }
        }
    }
    return out;
}

std::variant<Prepared, std::string> prepare(const Migration& migration,
                                            const Placeholders& placeholders) {
    Prepared prepared;
    auto problems = check(migration, placeholders, &prepared);
    if (!problems.empty()) {
        return migration.script + ": " + problems.front();
    }
    return prepared;
}

}  // namespace sg::migrate
