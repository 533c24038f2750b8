#include "sidecar/migrate/placeholders.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace sg::migrate {

namespace {

constexpr std::string_view kOpen = "${";
constexpr std::size_t kMaxShown = 80;

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_cont(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '.';
}
char to_lower_ascii(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), to_lower_ascii);
    return out;
}

// Counts lines while a scan moves forward: LF, CRLF and a lone CR each end a line.
class LineCounter {
  public:
    explicit LineCounter(std::string_view text) : text_(text) {}
    std::size_t line_at(std::size_t offset) {
        for (; counted_ < offset; ++counted_) {
            const char c = text_[counted_];
            if (c == '\n' ||
                (c == '\r' && (counted_ + 1 >= text_.size() || text_[counted_ + 1] != '\n'))) {
                ++line_;
            }
        }
        return line_;
    }

  private:
    std::string_view text_;
    std::size_t counted_ = 0;
    std::size_t line_ = 1;
};

// Calls visit(begin, end, name, line) for each placeholder `${name}` at [begin, end).
template <typename Visit>
void for_each_placeholder(std::string_view sql, Visit&& visit) {
    LineCounter lines(sql);
    std::size_t pos = 0;
    for (;;) {
        const std::size_t open = sql.find(kOpen, pos);
        if (open == std::string_view::npos) {
            return;
        }
        pos = open + kOpen.size();
        if (open > 0 && sql[open - 1] == '$') {
            continue;  // $${...}
        }
        std::size_t i = pos;
        if (i >= sql.size() || !is_name_start(sql[i])) {
            continue;
        }
        while (i < sql.size() && is_name_cont(sql[i])) {
            ++i;
        }
        // Flyway's own namespace: ${flyway:defaultSchema}, ${flyway:user}, ...
        if (i + 1 < sql.size() && sql[i] == ':' && is_name_start(sql[i + 1]) &&
            lower(sql.substr(pos, i - pos)) == "flyway") {
            for (++i; i < sql.size() && is_name_cont(sql[i]); ++i) {
            }
        }
        if (i >= sql.size() || sql[i] != '}') {
            continue;
        }
        visit(open, i + 1, sql.substr(pos, i - pos), lines.line_at(open));
        pos = i + 1;
    }
}

std::string known_names(const std::map<std::string, std::string>& values) {
    if (values.empty()) {
        return "no placeholders are defined";
    }
    std::string out = "known: ";
    bool first = true;
    for (const auto& [key, value] : values) {
        if (!first) {
            out += ", ";
        }
        first = false;
        out += key;
    }
    return out;
}

}  // namespace

Substitution substitute(std::string_view sql, const std::map<std::string, std::string>& values) {
    Substitution out;
    if (sql.find(kOpen) == std::string_view::npos) {
        out.text = std::string(sql);
        return out;
    }
    // Keys should already be lower-case; fold them if they are not, so lookups stay exact.
    const bool folded = std::all_of(values.begin(), values.end(), [](const auto& entry) {
        return lower(entry.first) == entry.first;
    });
    std::map<std::string, std::string> refolded;
    if (!folded) {
        for (const auto& [key, value] : values) {
            refolded.emplace(lower(key), value);
        }
    }
    const std::map<std::string, std::string>& lookup = folded ? values : refolded;

    out.text.reserve(sql.size() + sql.size() / 8);
    std::size_t copied = 0;
    std::string key;
    for_each_placeholder(
        sql, [&](std::size_t begin, std::size_t end, std::string_view name, std::size_t line) {
            key.assign(name);
            std::transform(key.begin(), key.end(), key.begin(), to_lower_ascii);
            const auto found = lookup.find(key);
            if (found == lookup.end()) {
                const std::string written = name.size() > kMaxShown
                                                ? std::string(name.substr(0, kMaxShown)) + "..."
                                                : std::string(name);
                out.errors.push_back({line, std::string(name),
                                      "unknown placeholder ${" + written + "} on line " +
                                          std::to_string(line) + "; " + known_names(lookup)});
                return;  // left as written
            }
            out.text.append(sql.substr(copied, begin - copied));
            out.text.append(found->second);
            copied = end;
        });
    out.text.append(sql.substr(copied));
    return out;
}

std::vector<PlaceholderUse> find_placeholders(std::string_view sql) {
    std::vector<PlaceholderUse> uses;
    for_each_placeholder(sql, [&](std::size_t /*begin*/, std::size_t /*end*/, std::string_view name,
                                  std::size_t line) {
        uses.push_back({line, std::string(name)});
    });
    return uses;
}

void add_flyway_placeholders(std::map<std::string, std::string>& values, const FlywayFacts& facts) {
    values["flyway:defaultschema"] = facts.schema;
    values["flyway:user"] = facts.user;
    values["flyway:database"] = facts.database;
    values["flyway:table"] = "schemagate_history";
    values["flyway:timestamp"] = facts.timestamp;
    values["flyway:workingdirectory"] = facts.working_directory;
}

FlywayFacts flyway_facts_now(std::string schema, std::string user, std::string database) {
    FlywayFacts facts{std::move(schema), std::move(user), std::move(database), {}, {}};
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::array<char, 32> buffer{};
    if (std::strftime(buffer.data(), buffer.size(), "%Y-%m-%d %H:%M:%S", &utc) > 0) {
        facts.timestamp = buffer.data();
    }
    std::error_code ec;
    facts.working_directory = std::filesystem::current_path(ec).string();
    return facts;
}

}  // namespace sg::migrate
