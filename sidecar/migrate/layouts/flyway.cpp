// schemagate's own layout, which is Flyway's: V<version>__<description>.sql, U<version>__...,
// R__<description>.sql. The Flyway layout adds only the refusal of Flyway's B (baseline) files.
#include "sidecar/migrate/layouts/readers.hpp"

namespace sg::migrate::layouts {

namespace {

class VersionedPrefixReader final : public LayoutReader {
  public:
    explicit VersionedPrefixReader(Format format) : format_(format) {}

    [[nodiscard]] Format format() const override { return format_; }

    [[nodiscard]] bool recognises(std::string_view name, std::string_view /*text*/) const override {
        return std::holds_alternative<FileName>(parse_file_name(name));
    }

    [[nodiscard]] std::optional<std::string> name_problem(std::string_view name) const override {
        if (format_ == Format::kFlyway && name.size() > 1 && name.front() == 'B' &&
            name.find("__") != std::string_view::npos) {
            return "is a Flyway baseline migration (B file), which schemagate does not run; a "
                   "database Flyway migrated is taken over without it, and a new database gets "
                   "the V files (delete the B file, or rename it V<version>__... in place of the "
                   "V files it replaces)";
        }
        const auto parsed = parse_file_name(name);
        if (const auto* why = std::get_if<std::string>(&parsed)) {
            return *why;
        }
        return std::nullopt;
    }

    [[nodiscard]] LayoutRead read(const std::string& name, const std::string& text,
                                  const EnvLookup& /*env*/) const override {
        LayoutRead out;
        if (auto why = name_problem(name)) {
            out.problems.push_back(std::move(*why));
            return out;
        }
        const auto parsed = parse_file_name(name);
        const auto& file = std::get<FileName>(parsed);
        MigrationType type = MigrationType::kVersioned;
        if (file.kind == FileKind::kUndo) {
            type = MigrationType::kUndo;
        } else if (file.kind == FileKind::kRepeatable) {
            type = MigrationType::kRepeatable;
        }
        out.migrations.push_back(
            make_migration(type, file.version, file.description, name, text, text));
        return out;
    }

    [[nodiscard]] std::string versioned_name_for(const Version& v) const override {
        return "V" + v.text() + "__*.sql";
    }

    [[nodiscard]] std::vector<NewFile> new_files(const std::string& version,
                                                 const std::string& slug,
                                                 const std::string& description) const override {
        return {
            {"V" + version + "__" + slug + ".sql",
             "-- " + description + "\n-- Runs once, in one transaction with its history row.\n\n"}};
    }

  private:
    Format format_;
};

}  // namespace

const LayoutReader& schemagate_reader() {
    static const VersionedPrefixReader reader(Format::kSchemagate);
    return reader;
}

const LayoutReader& flyway_reader() {
    static const VersionedPrefixReader reader(Format::kFlyway);
    return reader;
}

}  // namespace sg::migrate::layouts
