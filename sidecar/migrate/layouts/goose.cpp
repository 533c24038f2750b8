// goose (SQL migrations): <version>_<name>.sql holding `-- +goose Up` and `-- +goose Down`
// sections, `-- +goose StatementBegin` / `StatementEnd` around statements that hold semicolons,
// `-- +goose NO TRANSACTION`, and `-- +goose ENVSUB ON` / `OFF` around lines whose ${VAR} come from
// the environment. schemagate's splitter already keeps dollar-quoted and BEGIN ATOMIC bodies whole,
// so a StatementBegin/End block needs no special splitting; the pairs are checked.
#include "sidecar/migrate/layouts/readers.hpp"

namespace sg::migrate::layouts {

namespace {

enum class Annotation {
    kNone,
    kUp,
    kDown,
    kBegin,
    kEnd,
    kNoTransaction,
    kEnvOn,
    kEnvOff,
    kUnknown
};

// "-- +goose Up" -> kUp (case-insensitive, any spaces); kNone for any other line.
Annotation annotation_of(std::string_view line, std::string& text) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line.substr(first, 2) != "--") {
        return Annotation::kNone;
    }
    std::string rest = lower(line.substr(first + 2));
    const auto start = rest.find_first_not_of(" \t");
    if (start == std::string::npos || rest.compare(start, 6, "+goose") != 0) {
        return Annotation::kNone;
    }
    std::string words;
    for (std::size_t i = start + 6; i < rest.size(); ++i) {
        const char c = rest[i] == '\t' ? ' ' : rest[i];
        if (c != ' ' || (!words.empty() && words.back() != ' ')) {
            words += c;
        }
    }
    while (!words.empty() && words.back() == ' ') {
        words.pop_back();
    }
    text = words;
    if (words == "up") {
        return Annotation::kUp;
    }
    if (words == "down") {
        return Annotation::kDown;
    }
    if (words == "statementbegin") {
        return Annotation::kBegin;
    }
    if (words == "statementend") {
        return Annotation::kEnd;
    }
    if (words == "no transaction") {
        return Annotation::kNoTransaction;
    }
    if (words == "envsub on") {
        return Annotation::kEnvOn;
    }
    if (words == "envsub off") {
        return Annotation::kEnvOff;
    }
    return Annotation::kUnknown;
}

bool is_name_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// ${VAR}, ${VAR:-default} (unset or empty), ${VAR-default} (unset) from the environment.
std::string substitute_env(std::string_view line, std::size_t line_no, const EnvLookup& env,
                           std::vector<std::string>& problems) {
    std::string out;
    std::size_t i = 0;
    while (i < line.size()) {
        const bool opens = line.compare(i, 2, "${") == 0 && (i == 0 || line[i - 1] != '$') &&
                           i + 2 < line.size() && is_name_start(line[i + 2]);
        if (!opens) {
            out += line[i++];
            continue;
        }
        std::size_t j = i + 2;
        while (j < line.size() && is_name_char(line[j])) {
            ++j;
        }
        const std::string name(line.substr(i + 2, j - i - 2));
        const auto close = line.find('}', j);
        if (close == std::string_view::npos) {
            out += line[i++];
            continue;
        }
        const std::string_view op = line.substr(j, close - j);
        const auto value = env ? env(name) : std::nullopt;
        if (op.empty()) {
            if (!value) {
                std::string problem = at_line(line_no);
                problem.append("${").append(name).append(
                    "} is not set in the environment (goose ENVSUB); set it, or write ${");
                problem.append(name).append(":-default}");
                problems.push_back(std::move(problem));
            }
            out += value.value_or("");
        } else if (op.substr(0, 2) == ":-") {
            out += (value && !value->empty()) ? *value : std::string(op.substr(2));
        } else if (op.front() == '-') {
            out += value ? *value : std::string(op.substr(1));
        } else {
            out.append(line.substr(i, close + 1 - i));  // not a form goose substitutes
        }
        i = close + 1;
    }
    return out;
}

struct Sections {
    std::vector<bool> up;
    std::vector<bool> down;
    bool saw_up = false;
    bool no_transaction = false;
    std::string substituted;  // the text with ENVSUB regions substituted
};

enum class In { kHeader, kUp, kDown };  // the section a line is in
constexpr std::size_t kNone = std::string_view::npos;

// An Up or Down annotation on line `i`, in section `in`, with a StatementBegin open on line
// `block` (kNone: none): what is wrong with it, if anything.
void check_section_start(Annotation a, const std::string& words, std::size_t i, std::size_t block,
                         In in, std::vector<std::string>& problems) {
    if (block != kNone) {
        problems.push_back(
            at_line(i) + "-- +goose " + words + " inside the StatementBegin block opened on line " +
            std::to_string(block + 1) + "; close it with -- +goose StatementEnd first");
    }
    if (a == Annotation::kUp && in != In::kHeader) {
        problems.push_back(at_line(i) +
                           "a second -- +goose Up; a file has one Up section, then optionally one "
                           "Down section");
    }
    if (a == Annotation::kDown && in != In::kUp) {
        problems.push_back(at_line(i) +
                           (in == In::kHeader
                                ? std::string("-- +goose Down before -- +goose Up; put the Up "
                                              "section first")
                                : std::string("a second -- +goose Down")));
    }
}

Sections split_sections(const std::string& text, const EnvLookup& env,
                        std::vector<std::string>& problems) {
    Sections s;
    const auto lines = lines_of(text);
    s.up.assign(lines.size(), false);
    s.down.assign(lines.size(), false);
    In in = In::kHeader;
    std::size_t block = kNone;  // line of the open StatementBegin
    bool envsub = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string words;
        const Annotation a = annotation_of(lines[i], words);
        std::string line(lines[i]);
        switch (a) {
            case Annotation::kUp:
            case Annotation::kDown:
                check_section_start(a, words, i, block, in, problems);
                in = a == Annotation::kUp ? In::kUp : In::kDown;
                s.saw_up = s.saw_up || a == Annotation::kUp;
                break;
            case Annotation::kBegin:
                if (block != kNone) {
                    problems.push_back(at_line(i) +
                                       "StatementBegin inside the block opened on line " +
                                       std::to_string(block + 1) + "; add -- +goose StatementEnd");
                }
                block = i;
                break;
            case Annotation::kEnd:
                if (block == kNone) {
                    problems.push_back(at_line(i) +
                                       "StatementEnd without a StatementBegin before it");
                }
                block = kNone;
                break;
            case Annotation::kNoTransaction:
                s.no_transaction = true;
                break;
            case Annotation::kEnvOn:
            case Annotation::kEnvOff:
                envsub = a == Annotation::kEnvOn;
                break;
            case Annotation::kUnknown:
                problems.push_back(at_line(i) + "unknown goose annotation \"+goose " + words +
                                   "\"; known: Up, Down, StatementBegin, StatementEnd, NO "
                                   "TRANSACTION, ENVSUB ON, ENVSUB OFF");
                break;
            case Annotation::kNone:
                if (in == In::kHeader && !is_blank_or_comment(lines[i])) {
                    problems.push_back(at_line(i) +
                                       "SQL before -- +goose Up; move it into "
                                       "the Up section");
                }
                if (envsub) {
                    line = substitute_env(lines[i], i, env, problems);
                }
                break;
        }
        s.up[i] = in == In::kHeader || in == In::kUp;
        s.down[i] = in == In::kDown;
        s.substituted.append(line).push_back('\n');
    }
    if (block != kNone) {
        problems.push_back(at_line(block) +
                           "StatementBegin has no StatementEnd; add -- +goose StatementEnd after "
                           "the statement");
    }
    return s;
}

class GooseReader final : public LayoutReader {
  public:
    [[nodiscard]] Format format() const override { return Format::kGoose; }

    [[nodiscard]] bool recognises(std::string_view name, std::string_view text) const override {
        if (!numbered_name(name) || name.size() < 4 || name.substr(name.size() - 4) != ".sql") {
            return false;
        }
        std::string words;
        for (const auto line : lines_of(text)) {
            if (annotation_of(line, words) == Annotation::kUp) {
                return true;
            }
        }
        return false;
    }

    [[nodiscard]] LayoutRead read(const std::string& name, const std::string& text,
                                  const EnvLookup& env) const override {
        LayoutRead out;
        const auto numbered = numbered_name(name);
        if (!numbered || name.size() < 4 || name.substr(name.size() - 4) != ".sql") {
            out.problems.emplace_back(
                "not a goose name; use <version>_<name>.sql (00001_create_users.sql or "
                "20240101120000_create_users.sql)");
            return out;
        }
        auto version = numbered_version(numbered->digits, out.problems);
        Sections s = split_sections(text, env, out.problems);
        if (!s.saw_up) {
            out.problems.emplace_back(
                "has no -- +goose Up line; goose files start their SQL with it");
        }
        if (!version || !out.problems.empty()) {
            return out;
        }
        const std::string title =
            title_of(numbered->rest.substr(0, numbered->rest.size() - 4), numbered->digits);
        const std::string up_raw = section_text(text, s.up);
        if (up_raw.empty()) {
            out.problems.emplace_back("the -- +goose Up section holds no SQL; write it");
            return out;
        }
        add_up_down(
            out, *version, title, name,
            {section_text(s.substituted, s.up), up_raw, s.no_transaction},
            {section_text(s.substituted, s.down), section_text(text, s.down), s.no_transaction});
        return out;
    }

    [[nodiscard]] std::string versioned_name_for(const Version& v) const override {
        return v.text() + "_*.sql";
    }

    [[nodiscard]] std::vector<NewFile> new_files(const std::string& version,
                                                 const std::string& slug,
                                                 const std::string& description) const override {
        return {{version + "_" + slug + ".sql",
                 "-- " + description + "\n-- +goose Up\n\n-- +goose Down\n\n"}};
    }
};

}  // namespace

const LayoutReader& goose_reader() {
    static const GooseReader reader;
    return reader;
}

}  // namespace sg::migrate::layouts
