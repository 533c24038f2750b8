#include <string>

#include <doctest/doctest.h>

#include "sidecar/cli/help.hpp"
#include "sidecar/config/settings.hpp"

namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("each command's help lists only the settings it reads, with kind and default") {
    using sg::cli::command_help;
    using sg::cli::find_command;
    const std::string migrate = command_help(*find_command("migrate"));
    CHECK(migrate.find("--lock-timeout DURATION   SCHEMAGATE_LOCK_TIMEOUT, default 5m") !=
          std::string::npos);
    CHECK(migrate.find("--target VERSION") != std::string::npos);
    CHECK(migrate.find("--database-url URL   DATABASE_URL") != std::string::npos);
    CHECK(migrate.find("DATABASE_URL_FILE") != std::string::npos);
    CHECK(migrate.find("--placeholder NAME=VALUE") != std::string::npos);
    CHECK(migrate.find("SCHEMAGATE_LISTEN") == std::string::npos);  // only run serves HTTP
    CHECK(migrate.find("SCHEMAGATE_HTTP_") == std::string::npos);
    CHECK(count(migrate, " TEXT ") == 1);  // only the password is free text

    const std::string run = command_help(*find_command("run"));
    CHECK(run.find("--listen ADDRESS   SCHEMAGATE_LISTEN, default 0.0.0.0:8080") !=
          std::string::npos);
    CHECK(run.find("--http-read-timeout DURATION") != std::string::npos);

    const std::string created = command_help(*find_command("new"));
    CHECK(created.find("DATABASE_URL") == std::string::npos);
    CHECK(created.find("--timestamp") != std::string::npos);
    CHECK(created.find("SCHEMAGATE_VERSION_STYLE") != std::string::npos);
    CHECK(created.find("Usage: schemagate new <description>") != std::string::npos);

    const std::string status = command_help(*find_command("status"));
    CHECK(status.find("SCHEMAGATE_LINT") == std::string::npos);
    CHECK(status.find("--placeholder") == std::string::npos);

    CHECK(command_help(*find_command("version")).find("Settings") == std::string::npos);
    CHECK(find_command("nope") == nullptr);
}

TEST_CASE("--help-all lists every setting once and every command") {
    const std::string all = sg::cli::all_help();
    for (const auto& s : sg::config::settings()) {
        CAPTURE(s.variable);
        CHECK(count(all, "--" + std::string(s.flag) + " " + std::string(s.kind) + " ") == 1);
    }
    for (const auto& c : sg::cli::commands()) {
        CAPTURE(c.name);
        CHECK(all.find("  " + std::string(c.name) + " ") != std::string::npos);
    }
    // No line is wider than a terminal's 100 columns, here or in any command's help.
    std::string every = all + sg::cli::main_help();
    for (const auto& c : sg::cli::commands()) {
        every += sg::cli::command_help(c);
    }
    std::size_t start = 0;
    while (start < every.size()) {
        const auto end = every.find('\n', start);
        CHECK(end - start <= 100);
        start = end + 1;
    }
}
