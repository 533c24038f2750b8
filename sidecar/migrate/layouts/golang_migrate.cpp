// golang-migrate: {version}_{title}.up.sql and {version}_{title}.down.sql. The tool runs a file as
// it is, so files often wrap themselves in BEGIN ... COMMIT; schemagate runs each file in its own
// transaction (with its history row), so such an outer pair is blanked out, keeping line numbers.
#include "sidecar/migrate/layouts/readers.hpp"
#include "sidecar/migrate/sql_lexer.hpp"

namespace sg::migrate::layouts {

namespace {

struct Parsed {
    NumberedName numbered;
    bool up = true;
    std::string_view title;
};

std::optional<Parsed> parse_name(std::string_view name) {
    const auto numbered = numbered_name(name);
    if (!numbered) {
        return std::nullopt;
    }
    for (const auto& [suffix, up] :
         {std::pair<std::string_view, bool>{".up.sql", true}, {".down.sql", false}}) {
        if (numbered->rest.size() >= suffix.size() &&
            numbered->rest.substr(numbered->rest.size() - suffix.size()) == suffix) {
            return Parsed{*numbered, up,
                          numbered->rest.substr(0, numbered->rest.size() - suffix.size())};
        }
    }
    return std::nullopt;
}

bool words_are(const std::vector<std::string>& words, std::initializer_list<const char*> first,
               std::initializer_list<const char*> second_optional) {
    if (words.empty()) {
        return false;
    }
    bool first_ok = false;
    for (const char* w : first) {
        first_ok = first_ok || words[0] == w;
    }
    if (!first_ok) {
        return false;
    }
    if (words.size() == 1) {
        return true;
    }
    for (const char* w : second_optional) {
        if (words.size() == 2 && words[1] == w) {
            return true;
        }
    }
    return false;
}

// Replaces the bytes [from, to) with spaces, keeping line breaks.
void blank(std::string& text, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to && i < text.size(); ++i) {
        if (text[i] != '\n') {
            text[i] = ' ';
        }
    }
}

// The end of the ';' that closes a statement ending at `end`, or `end` when there is none.
std::size_t terminator_end(std::string_view text, std::size_t end) {
    Tokenizer tokens(text.substr(end));
    for (Token t = tokens.next(); t.kind != TokenKind::kEnd && t.kind != TokenKind::kError;
         t = tokens.next()) {
        if (t.kind == TokenKind::kSemicolon) {
            return end + t.offset + 1;
        }
        if (t.kind != TokenKind::kLineComment && t.kind != TokenKind::kBlockComment) {
            break;
        }
    }
    return end;
}

// A file that is BEGIN; ...; COMMIT; as a whole, without those two statements.
std::string without_outer_transaction(const std::string& text) {
    const SplitResult split = split_statements(text);
    if (!split.ok() || split.statements.size() < 2) {
        return text;
    }
    const Statement& first = split.statements.front();
    const Statement& last = split.statements.back();
    const bool opens =
        words_are(leading_keywords(first, 3), {"BEGIN"}, {"WORK", "TRANSACTION"}) ||
        leading_keywords(first, 3) == std::vector<std::string>{"START", "TRANSACTION"};
    const bool closes =
        words_are(leading_keywords(last, 3), {"COMMIT", "END"}, {"WORK", "TRANSACTION"});
    if (!opens || !closes) {
        return text;
    }
    std::string out = text;
    blank(out, first.offset, terminator_end(text, first.offset + first.text.size()));
    blank(out, last.offset, terminator_end(text, last.offset + last.text.size()));
    return out;
}

class GolangMigrateReader final : public LayoutReader {
  public:
    [[nodiscard]] Format format() const override { return Format::kGolangMigrate; }

    [[nodiscard]] bool recognises(std::string_view name, std::string_view /*text*/) const override {
        return parse_name(name).has_value();
    }

    [[nodiscard]] LayoutRead read(const std::string& name, const std::string& text,
                                  const EnvLookup& /*env*/) const override {
        LayoutRead out;
        const auto parsed = parse_name(name);
        if (!parsed) {
            out.problems.emplace_back(
                "not a golang-migrate name; use <version>_<title>.up.sql and "
                "<version>_<title>.down.sql (1_create_users.up.sql)");
            return out;
        }
        auto version = numbered_version(parsed->numbered.digits, out.problems);
        if (!version) {
            return out;
        }
        Migration m = make_migration(parsed->up ? MigrationType::kVersioned : MigrationType::kUndo,
                                     version, title_of(parsed->title, parsed->numbered.digits),
                                     name, without_outer_transaction(text), text);
        m.no_placeholders = true;
        out.migrations.push_back(std::move(m));
        return out;
    }

    [[nodiscard]] std::string versioned_name_for(const Version& v) const override {
        return v.text() + "_*.up.sql";
    }

    [[nodiscard]] std::vector<NewFile> new_files(const std::string& version,
                                                 const std::string& slug,
                                                 const std::string& description) const override {
        const std::string stem = version + "_" + slug;
        return {
            {stem + ".up.sql",
             "-- " + description + "\n-- Runs once, in one transaction with its history row.\n\n"},
            {stem + ".down.sql", "-- Undoes " + stem + ".up.sql (schemagate undo).\n\n"}};
    }
};

}  // namespace

const LayoutReader& golang_migrate_reader() {
    static const GolangMigrateReader reader;
    return reader;
}

}  // namespace sg::migrate::layouts
