#include "sidecar/lint/plan_lint.hpp"

#include <set>
#include <variant>

namespace sg::lint {

std::vector<const Finding*> PlanLint::active() const {
    std::vector<const Finding*> out;
    for (const auto& f : files) {
        const auto a = f.active();
        out.insert(out.end(), a.begin(), a.end());
    }
    return out;
}

std::size_t PlanLint::silenced() const {
    std::size_t n = 0;
    for (const auto& f : files) {
        for (const auto& st : f.statements) {
            for (const auto& finding : st.findings) {
                n += finding.allowed ? 1U : 0U;
            }
        }
    }
    return n;
}

PlanLint lint_plan(const migrate::MigrationSet& files, const migrate::Plan& plan,
                   const migrate::Placeholders& placeholders, const std::string& schema) {
    PlanLint out;
    Linter linter(schema);
    std::set<const migrate::Migration*> pending;
    for (const auto* steps : {&plan.versioned, &plan.repeatable, &plan.seed}) {
        for (const auto& step : *steps) {
            pending.insert(step.migration);
        }
    }
    const auto add = [&](const migrate::Migration& m, bool is_pending) {
        const auto prepared = migrate::prepare(m, placeholders);
        const auto* p = std::get_if<migrate::Prepared>(&prepared);
        if (p == nullptr) {
            return;  // an invalid file: migrate::lint reports it, and nothing is applied
        }
        FileReport report = linter.add(m, p->text, !p->no_transaction, is_pending);
        for (const auto& problem : report.problems) {
            out.problems.push_back(m.script + ": " + problem);
        }
        if (is_pending) {
            out.files.push_back(std::move(report));
        }
    };
    // Applied versioned files first teach what exists; out-of-order pending ones run after
    // them, then repeatables and seeds, as the engine applies them.
    for (const auto& m : files.versioned) {
        if (!pending.contains(&m)) {
            add(m, false);
        }
    }
    for (const auto* steps : {&plan.versioned, &plan.repeatable, &plan.seed}) {
        for (const auto& step : *steps) {
            add(*step.migration, true);
        }
    }
    return out;
}

}  // namespace sg::lint
