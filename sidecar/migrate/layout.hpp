// Layouts: how a migration tool names its files and marks their sections. One reader per layout
// (sidecar/migrate/layouts/), all behind this interface; `scan` picks one per file. Pure: text in,
// migrations and problems out; never reads files, never logs.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/migrate/scan.hpp"

namespace sg::migrate {

// What a reader made of one top-level .sql file: its migrations (versioned, repeatable or undo;
// `sql` and `checksum` set), or the problems that keep it from being read. Each problem says what
// is wrong and how to fix it, without the file's name.
struct LayoutRead {
    std::vector<Migration> migrations;
    std::vector<std::string> problems;
};

struct NewFile {
    std::string name;
    std::string text;
};

class LayoutReader {
  public:
    LayoutReader() = default;
    LayoutReader(const LayoutReader&) = delete;
    LayoutReader& operator=(const LayoutReader&) = delete;
    LayoutReader(LayoutReader&&) = delete;
    LayoutReader& operator=(LayoutReader&&) = delete;
    virtual ~LayoutReader() = default;

    [[nodiscard]] virtual Format format() const = 0;
    // Whether the file is of this layout, from its name and text: what `auto` asks.
    [[nodiscard]] virtual bool recognises(std::string_view name, std::string_view text) const = 0;
    // What is wrong with a file's name alone, before it is read; nullopt when nothing is (or
    // the layout needs the text to tell, as read() then does).
    [[nodiscard]] virtual std::optional<std::string> name_problem(std::string_view /*name*/) const {
        return std::nullopt;
    }
    // `text` is the normalised file (scan's read_script): LF line ends, valid UTF-8, no BOM.
    [[nodiscard]] virtual LayoutRead read(const std::string& name, const std::string& text,
                                          const EnvLookup& env) const = 0;
    // For an undo whose version has no migration: how this layout names the missing file.
    [[nodiscard]] virtual std::string versioned_name_for(const Version& v) const = 0;
    // `schemagate new`: the files of a new migration, name and text ("" text is never given);
    // `version` is already formatted (zero-padded like the directory's files where they are).
    [[nodiscard]] virtual std::vector<NewFile> new_files(const std::string& version,
                                                         const std::string& slug,
                                                         const std::string& description) const = 0;
};

// The reader of a layout (not kAuto).
[[nodiscard]] const LayoutReader& reader_for(Format format);

// The layout `auto` picks for a file, or nullopt when no reader recognises it. The readers are
// asked in this order: schemagate (V/U/R names, which Flyway shares), golang-migrate (.up.sql,
// .down.sql), goose (a `-- +goose Up` line), dbmate (a `-- migrate:up` line).
[[nodiscard]] std::optional<Format> detect_format(std::string_view name, std::string_view text);

// ---- Helpers the readers share ----

// The leading digits of a name ("20240101120000_add_users.sql" -> "20240101120000") and the rest
// after the '_' that follows them; nullopt when the name does not start with digits and '_'.
struct NumberedName {
    std::string_view digits;
    std::string_view rest;
};
[[nodiscard]] std::optional<NumberedName> numbered_name(std::string_view name);

// A file's lines split into sections: `keep[i]` says whether line i (0-based) belongs to the
// section. The text of the section: lines outside it become empty (so line numbers stay those
// of the file) and trailing empty lines are dropped; "" when the section holds only blank and
// comment lines.
[[nodiscard]] std::string section_text(std::string_view text, const std::vector<bool>& keep);

// The lines of a text (LF line ends), without their line breaks.
[[nodiscard]] std::vector<std::string_view> lines_of(std::string_view text);

// Whether a line holds only spaces, tabs and an optional `--` comment.
[[nodiscard]] bool is_blank_or_comment(std::string_view line);

}  // namespace sg::migrate
