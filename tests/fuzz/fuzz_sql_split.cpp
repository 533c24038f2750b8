// The SQL splitter, tokenizer, directives and statement classifiers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sidecar/migrate/directives.hpp"
#include "sidecar/migrate/sql_lexer.hpp"

#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view sql(reinterpret_cast<const char*>(data), size);
    const auto split = sg::migrate::split_statements(sql);
    std::size_t previous_end = 0;
    for (const auto& statement : split.statements) {
        // Each statement views the input, in order, without overlap, and is not empty.
        FUZZ_CHECK(!statement.text.empty());
        FUZZ_CHECK(statement.text.data() >= sql.data());
        FUZZ_CHECK(statement.offset ==
                   static_cast<std::size_t>(statement.text.data() - sql.data()));
        FUZZ_CHECK(statement.offset >= previous_end);
        FUZZ_CHECK(statement.offset + statement.text.size() <= sql.size());
        FUZZ_CHECK(statement.line >= 1);
        previous_end = statement.offset + statement.text.size();
        (void)sg::migrate::leading_keywords(statement, 4);
        (void)sg::migrate::is_transaction_control(statement);
        (void)sg::migrate::no_transaction_command(statement);
        (void)sg::migrate::needs_no_transaction_hint(statement);
        // A statement re-split on its own is still one statement (the splitter's cut points are
        // stable), as the engine sends it with ";" appended.
        // (A statement that starts with a byte-order mark is the exception: a leading one is
        // skipped.)
        if (statement.text.rfind("\xEF\xBB\xBF", 0) != 0) {
            const auto again = sg::migrate::split_statements(std::string(statement.text) + ";");
            FUZZ_CHECK(again.ok());
            FUZZ_CHECK(again.statements.size() == 1);
        }
    }
    if (split.error) {
        FUZZ_CHECK(!split.error->message.empty());
    }
    sg::migrate::Tokenizer tokens(sql);
    std::size_t count = 0;
    for (auto token = tokens.next(); token.kind != sg::migrate::TokenKind::kEnd;
         token = tokens.next()) {
        FUZZ_CHECK(token.kind == sg::migrate::TokenKind::kError || !token.text.empty());
        FUZZ_CHECK(++count <= size + 1);  // every token consumes input
    }
    const auto directives = sg::migrate::parse_directives(sql);
    for (const auto& error : directives.errors) {
        FUZZ_CHECK(!error.message.empty() && error.line >= 1);
    }
    return 0;
}
