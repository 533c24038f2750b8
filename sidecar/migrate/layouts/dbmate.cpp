// dbmate: <version>_<name>.sql (a timestamp version, by `dbmate new`) holding `-- migrate:up` and
// `-- migrate:down` sections; `transaction:false` on a marker line runs that section outside a
// transaction.
#include "sidecar/migrate/layouts/readers.hpp"

namespace sg::migrate::layouts {

namespace {

enum class Marker { kNone, kUp, kDown };

// "-- migrate:up transaction:false" -> kUp with options "transaction:false".
Marker marker_of(std::string_view line, std::string& options) {
    if (line.substr(0, 2) != "--") {
        return Marker::kNone;
    }
    std::string_view rest = line.substr(2);
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
    Marker m = Marker::kNone;
    if (rest.substr(0, 10) == "migrate:up") {
        m = Marker::kUp;
        rest.remove_prefix(10);
    } else if (rest.substr(0, 12) == "migrate:down") {
        m = Marker::kDown;
        rest.remove_prefix(12);
    } else {
        return Marker::kNone;
    }
    if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') {
        return Marker::kNone;  // "-- migrate:upgrade notes" is a comment
    }
    options = std::string(rest);
    return m;
}

// The options of a marker line: only transaction:true|false. Returns whether it turns the
// transaction off.
bool parse_options(const std::string& options, std::size_t line,
                   std::vector<std::string>& problems) {
    bool no_transaction = false;
    std::size_t i = 0;
    while (i < options.size()) {
        const auto start = options.find_first_not_of(" \t", i);
        if (start == std::string::npos) {
            break;
        }
        const auto end = std::min(options.find_first_of(" \t", start), options.size());
        const std::string option = options.substr(start, end - start);
        if (option == "transaction:false") {
            no_transaction = true;
        } else if (option != "transaction:true") {
            problems.push_back(at_line(line) + "unknown dbmate option \"" + option +
                               "\"; known: transaction:false, transaction:true");
        }
        i = end;
    }
    return no_transaction;
}

std::optional<std::string_view> version_digits(std::string_view name) {
    std::size_t n = 0;
    while (n < name.size() && name[n] >= '0' && name[n] <= '9') {
        ++n;
    }
    if (n == 0 || name.size() < 4 || name.substr(name.size() - 4) != ".sql") {
        return std::nullopt;
    }
    return name.substr(0, n);
}

class DbmateReader final : public LayoutReader {
  public:
    [[nodiscard]] Format format() const override { return Format::kDbmate; }

    [[nodiscard]] bool recognises(std::string_view name, std::string_view text) const override {
        if (!version_digits(name)) {
            return false;
        }
        std::string options;
        for (const auto line : lines_of(text)) {
            if (marker_of(line, options) == Marker::kUp) {
                return true;
            }
        }
        return false;
    }

    [[nodiscard]] LayoutRead read(const std::string& name, const std::string& text,
                                  const EnvLookup& /*env*/) const override {
        LayoutRead out;
        const auto digits = version_digits(name);
        if (!digits) {
            out.problems.emplace_back(
                "not a dbmate name; use <version>_<name>.sql (20240101120000_create_users.sql)");
            return out;
        }
        auto version = numbered_version(*digits, out.problems);
        const auto lines = lines_of(text);
        std::vector<bool> up(lines.size(), false);
        std::vector<bool> down(lines.size(), false);
        enum class In { kHeader, kUp, kDown } in = In::kHeader;
        bool up_no_tx = false;
        bool down_no_tx = false;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            std::string options;
            const Marker m = marker_of(lines[i], options);
            if (m == Marker::kUp) {
                if (in != In::kHeader) {
                    out.problems.push_back(at_line(i) +
                                           "a second -- migrate:up; a file has one "
                                           "up section, then one down section");
                }
                in = In::kUp;
                up_no_tx = parse_options(options, i, out.problems);
            } else if (m == Marker::kDown) {
                if (in != In::kUp) {
                    out.problems.push_back(
                        at_line(i) + (in == In::kHeader
                                          ? std::string("-- migrate:down before -- migrate:up; "
                                                        "put the up section first")
                                          : std::string("a second -- migrate:down")));
                }
                in = In::kDown;
                down_no_tx = parse_options(options, i, out.problems);
            } else if (in == In::kHeader && !is_blank_or_comment(lines[i])) {
                out.problems.push_back(at_line(i) +
                                       "SQL before -- migrate:up; move it into the up section");
            }
            up[i] = in != In::kDown;
            down[i] = in == In::kDown;
        }
        if (in == In::kHeader) {
            out.problems.emplace_back("has no -- migrate:up line; dbmate files start with it");
        }
        if (!version || !out.problems.empty()) {
            return out;
        }
        std::string_view rest =
            std::string_view(name).substr(digits->size(), name.size() - digits->size() - 4);
        if (!rest.empty() && rest.front() == '_') {
            rest.remove_prefix(1);
        }
        const std::string title = title_of(rest, *digits);
        std::string up_text = section_text(text, up);
        if (up_text.empty()) {
            out.problems.emplace_back("the -- migrate:up section holds no SQL; write it");
            return out;
        }
        std::string down_text = section_text(text, down);
        add_up_down(out, *version, title, name, {up_text, up_text, up_no_tx},
                    {down_text, down_text, down_no_tx});
        return out;
    }

    [[nodiscard]] std::string versioned_name_for(const Version& v) const override {
        return v.text() + "_*.sql";
    }

    [[nodiscard]] std::vector<NewFile> new_files(const std::string& version,
                                                 const std::string& slug,
                                                 const std::string& description) const override {
        return {{version + "_" + slug + ".sql",
                 "-- " + description + "\n-- migrate:up\n\n-- migrate:down\n\n"}};
    }
};

}  // namespace

const LayoutReader& dbmate_reader() {
    static const DbmateReader reader;
    return reader;
}

}  // namespace sg::migrate::layouts
