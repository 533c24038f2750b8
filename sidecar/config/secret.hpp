// A value that must never reach a log line or an HTTP answer: passwords and connection strings.
// It has no formatter and no stream operator, so logging one does not compile; reveal() is
// explicit. Also where such values are read from: the files <VAR>_FILE settings name.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

namespace sg::config {

class Secret {
  public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}

    [[nodiscard]] const std::string& reveal() const { return value_; }
    [[nodiscard]] bool empty() const { return value_.empty(); }
    friend bool operator==(const Secret&, const Secret&) = default;

  private:
    std::string value_;
};

// A connection string with its password replaced by "****" (URI and key=value forms).
[[nodiscard]] std::string masked(const Secret& dsn);
[[nodiscard]] std::string mask_dsn(const std::string& dsn);

// The content of a secret file a <VAR>_FILE setting names: a regular file (or a symlink to one)
// of at most 1 MiB; nullopt with `error` set otherwise. parse()'s default file reader.
[[nodiscard]] std::optional<std::string> read_secret_file(const std::filesystem::path& path,
                                                          std::string& error);

}  // namespace sg::config
