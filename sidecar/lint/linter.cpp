// How the linter reads one file: its statements in order, the allow directives that silence a
// finding, and what each statement teaches about the ones after it.
#include <algorithm>
#include <string>

#include "sidecar/lint/rules.hpp"
#include "sidecar/migrate/directives.hpp"
#include "sidecar/migrate/sql_lexer.hpp"

namespace sg::lint {

namespace {

std::size_t end_line(const migrate::Statement& st) {
    return st.line + static_cast<std::size_t>(std::count(st.text.begin(), st.text.end(), '\n'));
}

std::string rule_list() {
    std::string out;
    for (const auto& r : rules()) {
        out += (out.empty() ? "" : ", ") + std::string(r.id);
    }
    return out;
}

}  // namespace

void Linter::learn(const StatementFacts& f, bool pending, Context& ctx) {
    switch (f.kind) {
        case Kind::kCreateTable:
            if (pending) {
                new_tables_.insert(qualified(f.targets.front()));
            }
            break;
        case Kind::kDropTable:
            for (const auto& t : f.targets) {
                new_tables_.erase(qualified(t));
            }
            break;
        case Kind::kCreateIndex:
            if (!f.index.empty() && !f.targets.empty()) {
                index_table_[qualified(f.index)] = qualified(f.targets.front());
            }
            break;
        case Kind::kAlterTable: {
            const std::string table = qualified(f.targets.front());
            for (const auto& a : f.actions) {
                if (a.action == Action::kAddCheck && !a.check_not_null.empty()) {
                    if (a.not_valid) {
                        unvalidated_checks_[a.constraint] = {table, a.check_not_null};
                    } else {
                        not_null_checked_.insert({table, a.check_not_null});
                    }
                }
                if ((a.action == Action::kAddCheck || a.action == Action::kAddForeignKey) &&
                    a.not_valid && !a.constraint.empty()) {
                    ctx.added_not_valid[a.constraint] = table;
                }
                if (a.action == Action::kValidateConstraint) {
                    if (const auto it = unvalidated_checks_.find(a.constraint);
                        it != unvalidated_checks_.end()) {
                        not_null_checked_.insert(it->second);
                        unvalidated_checks_.erase(it);
                    }
                }
                if (a.action == Action::kRenameTable && is_new(table) && !a.new_name.empty()) {
                    const Relation renamed{f.targets.front().schema, a.new_name};
                    new_tables_.insert(qualified(renamed));
                }
            }
            break;
        }
        default:
            break;
    }
}

FileReport Linter::add(const migrate::Migration& m, std::string_view text, bool transactional,
                       bool pending) {
    FileReport report;
    report.migration = &m;
    report.transactional = transactional;
    Context ctx;
    ctx.migration = &m;
    ctx.transactional = transactional;
    const migrate::SplitResult split = migrate::split_statements(text);
    const migrate::Directives directives = migrate::parse_directives(text);
    if (pending) {
        for (const auto& allow : directives.allows) {
            if (find_rule(allow.rule) == nullptr) {
                report.problems.push_back("line " + std::to_string(allow.line) +
                                          ": schemagate:allow names no lint rule \"" + allow.rule +
                                          "\"; rules: " + rule_list());
            }
        }
    }
    std::size_t previous_end = 0;
    for (const auto& st : split.statements) {
        StatementReport sr;
        sr.line = st.line;
        sr.text = std::string(st.text);
        sr.facts = analyse(st.text);
        if (pending) {
            check(sr, ctx, sr.findings);
            for (auto& finding : sr.findings) {
                for (const auto& allow : directives.allows) {
                    const bool applies =
                        allow.whole_file || (allow.line > previous_end && allow.line < st.line);
                    if (applies && allow.rule == finding.rule) {
                        finding.allowed = allow.reason;
                    }
                }
            }
        }
        learn(sr.facts, pending, ctx);
        previous_end = end_line(st);
        if (pending) {
            report.statements.push_back(std::move(sr));
        }
    }
    return report;
}

}  // namespace sg::lint
