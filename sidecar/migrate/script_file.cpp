#include "sidecar/migrate/script_file.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <system_error>

#include "sidecar/migrate/checksum.hpp"

namespace sg::migrate {

namespace fs = std::filesystem;

namespace {

std::size_t line_of(std::string_view text, std::size_t offset) {
    return static_cast<std::size_t>(
               std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n')) +
           1;
}

}  // namespace

namespace detail {

std::optional<std::string> read_script(const fs::path& path, const std::string& script,
                                       std::vector<ScanProblem>& problems) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
        problems.push_back({script, "cannot read: " + ec.message()});
        return std::nullopt;
    }
    if (size > kMaxFileBytes) {
        problems.push_back({script, "is " + std::to_string(size / (std::uintmax_t{1024} * 1024)) +
                                        " MiB; files larger than 64 MiB are refused"});
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problems.push_back({script, "cannot read: " + std::generic_category().message(errno)});
        return std::nullopt;
    }
    std::string raw(static_cast<std::size_t>(size), '\0');
    in.read(raw.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size) {
        problems.push_back({script, "cannot read: the file changed while it was read"});
        return std::nullopt;
    }
    std::string sql = normalise(raw);
    if (const auto bad = invalid_utf8_offset(sql); bad != std::string_view::npos) {
        problems.push_back({script, "line " + std::to_string(line_of(sql, bad)) +
                                        ": not valid UTF-8; save the file as UTF-8"});
        return std::nullopt;
    }
    // libpq sends SQL as C strings: a NUL would end the text there and silently drop the rest
    // (and the history row sent with it). It is valid UTF-8, so it needs its own refusal.
    if (const auto nul = sql.find('\0'); nul != std::string::npos) {
        problems.push_back({script, "line " + std::to_string(line_of(sql, nul)) +
                                        ": contains a NUL byte, which SQL text cannot hold; "
                                        "remove it (is this a binary file saved as .sql?)"});
        return std::nullopt;
    }
    if (std::all_of(sql.begin(), sql.end(),
                    [](char c) { return c == ' ' || c == '\n' || c == '\t'; })) {
        problems.push_back({script, "is empty; write its SQL or delete the file"});
        return std::nullopt;
    }
    return sql;
}

bool is_regular_file(const fs::directory_entry& entry) {
    std::error_code ec;
    return entry.is_regular_file(ec);  // follows symlinks (Kubernetes ConfigMaps mount those)
}

std::string not_regular_reason(const fs::directory_entry& entry) {
    std::error_code ec;
    const auto status = fs::status(entry.path(), ec);
    if (ec == std::errc::too_many_symbolic_link_levels) {
        return "is a symbolic link loop; point it at a file";
    }
    if (ec || status.type() == fs::file_type::not_found) {
        return "is a broken symbolic link (its target does not exist)";
    }
    if (status.type() == fs::file_type::directory) {
        return "is a directory";
    }
    return "is not a regular file (a FIFO, socket or device); migrations must be files";
}

}  // namespace detail

std::string ignored_reason(std::string_view name) {
    if (name.empty() || name.substr(0, 2) == "..") {
        return {};  // Kubernetes' ..data and ..<timestamp> entries of a mounted ConfigMap
    }
    std::string lower(name);
    for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const auto sql = lower.rfind(".sql");
    if (sql == std::string::npos) {
        return {};
    }
    const std::string_view rest = std::string_view(lower).substr(sql + 4);
    if (!rest.empty() && std::string_view("~.#-_").find(rest.front()) == std::string_view::npos) {
        return {};  // .sqlite and the like
    }
    if (name.front() == '.' || name.front() == '#' || !rest.empty()) {
        return "an editor's backup or swap file, or a copy; only names ending in .sql are read";
    }
    return "the extension must be lower-case .sql to be read";
}

}  // namespace sg::migrate
