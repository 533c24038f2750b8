// Reading one migration file safely: its size, bytes, UTF-8 and NULs checked, line endings
// normalised; why an entry that is not a regular file cannot be one. Internal to migrate (scan).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sidecar/migrate/scan.hpp"

namespace sg::migrate::detail {

// Reads and normalises one file; on failure adds a problem and returns nullopt.
[[nodiscard]] std::optional<std::string> read_script(const std::filesystem::path& path,
                                                     const std::string& script,
                                                     std::vector<ScanProblem>& problems);

// Follows symlinks (Kubernetes ConfigMaps mount those).
[[nodiscard]] bool is_regular_file(const std::filesystem::directory_entry& entry);

// Why an entry that is not a regular file cannot be a migration.
[[nodiscard]] std::string not_regular_reason(const std::filesystem::directory_entry& entry);

}  // namespace sg::migrate::detail
