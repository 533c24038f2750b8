#include "sidecar/cli/plan_output.hpp"

#include <nlohmann/json.hpp>

#include "sidecar/migrate/engine.hpp"

namespace sg::cli {

namespace {

// The statement's first line, cut to a readable width.
std::string headline(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    constexpr std::size_t kWidth = 100;
    if (line.size() > kWidth || line.size() < text.size()) {
        line = line.substr(0, kWidth) + " ...";
    }
    return line;
}

std::string locks_text(const lint::StatementFacts& facts, const std::string& schema) {
    if (!facts.understood) {
        return "lock not known";
    }
    if (facts.locks.empty()) {
        return "no table lock";
    }
    std::string out;
    for (const auto& lock : facts.locks) {
        out += (out.empty() ? "" : ", ") + std::string(lint::to_string(lock.mode)) + " on " +
               lock.relation.qualified(schema);
    }
    return out;
}

}  // namespace

std::string plan_text(const lint::PlanLint& report, const std::string& schema,
                      const std::string& source) {
    std::string out;
    if (report.files.empty()) {
        return "nothing to apply (" + source + ")\n";
    }
    out += std::to_string(report.files.size()) + " file(s) to apply (" + source + "), " +
           std::to_string(report.active().size()) + " lint finding(s), " +
           std::to_string(report.silenced()) + " silenced\n";
    for (const auto& file : report.files) {
        out += "\n" + migrate::display_name(*file.migration) + "  (" + file.migration->script +
               ", " + (file.transactional ? "in one transaction" : "no transaction") + ")\n";
        for (const auto& st : file.statements) {
            out += "  line " + std::to_string(st.line) + ": " + headline(st.text) + "\n";
            out += "      takes " + locks_text(st.facts, schema) + "\n";
            for (const auto& f : st.findings) {
                out += std::string("      ") + (f.allowed ? "allowed " : "") +
                       lint::to_string(f.severity) + " " + f.rule + ": " + f.message +
                       (f.allowed ? " (reason: " + *f.allowed + ")" : "") + "\n";
            }
        }
    }
    for (const auto& p : report.problems) {
        out += "\nwarning: " + p + "\n";
    }
    return out;
}

std::string plan_json(const lint::PlanLint& report, const std::string& schema,
                      const std::string& source) {
    nlohmann::ordered_json out;
    out["source"] = source;
    out["files"] = nlohmann::ordered_json::array();
    for (const auto& file : report.files) {
        nlohmann::ordered_json f;
        const auto& m = *file.migration;
        f["script"] = m.script;
        f["type"] = migrate::to_string(m.type);
        f["version"] =
            m.version ? nlohmann::ordered_json(m.version->text()) : nlohmann::ordered_json(nullptr);
        f["description"] = m.description;
        f["transactional"] = file.transactional;
        f["statements"] = nlohmann::ordered_json::array();
        for (const auto& st : file.statements) {
            nlohmann::ordered_json s;
            s["line"] = st.line;
            s["sql"] = st.text;
            s["locks_known"] = st.facts.understood;
            s["locks"] = nlohmann::ordered_json::array();
            for (const auto& lock : st.facts.locks) {
                s["locks"].push_back({{"mode", lint::to_string(lock.mode)},
                                      {"relation", lock.relation.qualified(schema)}});
            }
            s["findings"] = nlohmann::ordered_json::array();
            for (const auto& finding : st.findings) {
                nlohmann::ordered_json j;
                j["rule"] = finding.rule;
                j["severity"] = lint::to_string(finding.severity);
                j["relation"] = finding.relation;
                j["message"] = finding.message;
                j["allowed"] = finding.allowed.has_value();
                j["reason"] = finding.allowed ? nlohmann::ordered_json(*finding.allowed)
                                              : nlohmann::ordered_json(nullptr);
                s["findings"].push_back(std::move(j));
            }
            f["statements"].push_back(std::move(s));
        }
        out["files"].push_back(std::move(f));
    }
    out["problems"] = report.problems;
    return out.dump(2) + "\n";
}

}  // namespace sg::cli
