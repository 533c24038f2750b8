#include "sidecar/cli/help.hpp"

#include <algorithm>

#include "sidecar/config/settings.hpp"
#include "sidecar/version.hpp"

namespace sg::cli {

namespace {

using config::Command;

constexpr std::size_t kWidth = 100;
constexpr std::string_view kIndent = "      ";

// Appends `text` wrapped at kWidth, every line starting with `indent`.
void wrap(std::string& out, std::string_view text, std::string_view indent) {
    std::size_t column = 0;
    while (!text.empty()) {
        const auto space = text.find(' ');
        const std::string_view word = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
        if (column == 0) {
            out += indent;
            column = indent.size();
        } else if (column + 1 + word.size() > kWidth) {
            out += '\n';
            out += indent;
            column = indent.size();
        } else {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
    }
    out += '\n';
}

std::string usage(const CommandInfo& c) {
    std::string line = "schemagate " + std::string(c.name);
    for (const auto& f : c.flags) {
        std::string item =
            f.positional ? "<" + std::string(f.name) + ">"
                         : std::string(f.name) + (f.arg.empty() ? "" : " " + std::string(f.arg));
        line += " " + (f.required ? item : "[" + item + "]");
    }
    if (c.settings != 0) {
        line += " [settings]";
    }
    return line;
}

void add_flags(std::string& out, const CommandInfo& c) {
    if (c.flags.empty()) {
        return;
    }
    out += "\nFlags:\n";
    for (const auto& f : c.flags) {
        out += "  ";
        out += f.positional ? "<" + std::string(f.name) + ">"
                            : std::string(f.name) + (f.arg.empty() ? "" : " " + std::string(f.arg));
        out += '\n';
        wrap(out, f.help, kIndent);
    }
}

std::string shown_default(const config::Setting& s) {
    if (s.variable == "SCHEMAGATE_SERVICE") {
        return "required";
    }
    if (s.fallback.empty()) {
        return s.variable == "DATABASE_URL" ? "libpq defaults and PG* variables" : "unset";
    }
    return std::string(s.fallback);
}

void add_setting(std::string& out, const config::Setting& s) {
    out += "  --" + std::string(s.flag) + " " + std::string(s.kind) + "   " +
           std::string(s.variable) + ", default " + shown_default(s) + "\n";
    std::string help(s.help);
    if (s.secret_file_allowed) {
        help += "; or from a file: " + std::string(s.variable) + "_FILE, --" + std::string(s.flag) +
                "-file PATH";
    }
    wrap(out, help, kIndent);
}

// The settings `c` reads; `skip` leaves out those with exactly these command bits.
void add_settings(std::string& out, const CommandInfo& c, std::string_view title,
                  std::uint16_t skip) {
    std::vector<const config::Setting*> list;
    for (const auto& s : config::settings()) {
        if ((s.commands & c.settings) != 0 && (skip == 0 || s.commands != skip)) {
            list.push_back(&s);
        }
    }
    constexpr std::uint16_t kPreparing =
        Command::kRun | Command::kMigrate | Command::kValidate | Command::kPlan | Command::kUndo;
    const bool placeholders = (c.settings & kPreparing) != 0;
    if (list.empty() && !placeholders) {
        return;
    }
    out += "\n" + std::string(title) + ":\n";
    for (const auto* s : list) {
        add_setting(out, *s);
    }
    if (placeholders) {
        out += "  --placeholder NAME=VALUE   SCHEMAGATE_PLACEHOLDER_<NAME>, repeatable\n";
        wrap(out, "defines ${name} in migration files", kIndent);
    }
}

}  // namespace

const std::vector<CommandInfo>& commands() {
    static const std::vector<CommandInfo> table = {
        {"run",
         "wait, provision, migrate, seed, verify, then serve /livez, /readyz, /health and "
         "/metrics until SIGTERM",
         Command::kRun,
         {},
         "The image's default command; a restart re-runs initialisation."},
        {"migrate",
         "the same steps once, then exit (for a Kubernetes Job, an init container or compose's "
         "service_completed_successfully)",
         Command::kMigrate,
         {{"--target", "VERSION",
           "apply versioned migrations up to this version only; newer ones stay pending, and "
           "repeatables, seeds and verify wait until every version is applied"}},
         ""},
        {"status",
         "every migration: version, description, type, state, applied at, duration",
         Command::kStatus,
         {{"--json", "", "machine-readable output"}},
         ""},
        {"validate",
         "check the files (names, versions, directives, placeholders, lint); online also compare "
         "checksums with the history",
         Command::kValidate,
         {{"--offline", "", "do not connect; check the files only"}},
         ""},
        {"plan",
         "dry run: what the next migrate applies, each statement's lock, every lint finding",
         Command::kPlan,
         {{"--json", "", "machine-readable output"},
          {"--offline", "", "do not connect; every file counts as pending"}},
         ""},
        {"new",
         "create the next V<version>__<description>.sql and print its path",
         Command::kNew,
         {{"description", "", "what the migration does, e.g. \"add orders\"", true, true},
          {"--timestamp", "",
           "version the file by the UTC time, YYYYMMDDHHMMSS (SCHEMAGATE_VERSION_STYLE=timestamp)"},
          {"--sequential", "", "version the file by the next integer (the default style)"}},
         ""},
        {"undo",
         "apply U<version>__*.sql files, newest first, each with its history row",
         Command::kUndo,
         {{"--to", "VERSION",
           "undo every applied version above this one (default: the latest only); nothing "
           "above it is exit 0"}},
         ""},
        {"repair",
         "accept the changed checksums of applied files and forget failed attempts",
         Command::kRepair,
         {},
         ""},
        {"baseline",
         "record that versions up to V are applied, on a database that has the objects but no "
         "history of any tool; nothing is run",
         Command::kBaseline,
         {{"--version", "VERSION", "the version the database is at (required)", false, true},
          {"--description", "TEXT", "what the baseline stands for (default: baseline)"}},
         ""},
        {"healthcheck",
         "GET the local readiness URL; exit 0 on 200, else 1 (for HEALTHCHECK without curl)",
         0,
         {{"--url", "URL",
           "default: /readyz at SCHEMAGATE_LISTEN (a wildcard address on loopback), "
           "http://127.0.0.1:8080/readyz when unset"},
          {"--wait", "DURATION",
           "keep asking while the sidecar initialises: 0 once ready, 1 at once when "
           "initialisation failed (saying why) or after DURATION; for a HEALTHCHECK without "
           "start_period"}},
         ""},
        {"version", "version, git revision, libpq and server compatibility", 0, {}, ""},
        {"help",
         "this text, or a command's: schemagate help migrate",
         0,
         {{"command", "", "the command to describe", true, false}},
         ""},
    };
    return table;
}

const CommandInfo* find_command(std::string_view name) {
    const auto& all = commands();
    const auto it =
        std::find_if(all.begin(), all.end(), [&](const CommandInfo& c) { return c.name == name; });
    return it == all.end() ? nullptr : &*it;
}

std::string main_help() {
    std::string out = "schemagate " + std::string(kVersion) +
                      ": waits for PostgreSQL, provisions, migrates, seeds, verifies, then serves "
                      "health\n\nUsage: schemagate <command> [flags] [settings]\n\nCommands:\n";
    std::size_t width = 0;
    for (const auto& c : commands()) {
        width = std::max(width, c.name.size());
    }
    for (const auto& c : commands()) {
        std::string lead = "  " + std::string(c.name) + std::string(width - c.name.size() + 2, ' ');
        std::string body;
        wrap(body, c.summary, std::string(lead.size(), ' '));
        out += lead + body.substr(lead.size());
    }
    out += '\n';
    wrap(out,
         "Every setting is an environment variable and a flag (a flag wins). `schemagate help "
         "<command>` lists the settings a command reads, with their kinds and defaults; "
         "`schemagate --help-all` lists everything once; -V, --version prints the version.",
         "");
    wrap(out,
         "Exit codes: 0 ok, 1 a migration, seed or verify failed, 2 usage or configuration, 3 "
         "database unreachable, 4 validation failed, 5 lock not acquired in time.",
         "");
    return out;
}

std::string command_help(const CommandInfo& command) {
    std::string out;
    wrap(out, "schemagate " + std::string(command.name) + ": " + std::string(command.summary), "");
    out += "\nUsage: " + usage(command) + "\n";
    if (!command.note.empty()) {
        out += std::string(command.note) + "\n";
    }
    add_flags(out, command);
    add_settings(out, command, "Settings (flag KIND   environment variable, default)", 0);
    return out;
}

std::string all_help() {
    std::string out = main_help();
    out += "\nSettings (flag KIND   environment variable, default), each once:\n";
    for (const auto& s : config::settings()) {
        add_setting(out, s);
        std::string readers;
        for (const auto& c : commands()) {
            if ((c.settings & s.commands) != 0) {
                readers += (readers.empty() ? "" : ", ") + std::string(c.name);
            }
        }
        wrap(out,
             "read by: " + (s.commands == config::kEveryCommand ? std::string("every command but "
                                                                              "healthcheck and "
                                                                              "version")
                                                                : readers),
             kIndent);
    }
    out += "  --placeholder NAME=VALUE   SCHEMAGATE_PLACEHOLDER_<NAME>, repeatable\n";
    wrap(out, "defines ${name} in migration files; read by: run, migrate, validate, plan, undo",
         kIndent);
    for (const auto& c : commands()) {
        if (c.name == "help") {
            continue;
        }
        out += '\n';
        wrap(out, "schemagate " + std::string(c.name) + ": " + std::string(c.summary), "");
        out += "Usage: " + usage(c) + "\n";
        add_flags(out, c);
    }
    return out;
}

}  // namespace sg::cli
