// What statement.cpp and alter_table.cpp share: how a recogniser records a lock, and the
// recogniser of ALTER TABLE. Internal to the lint module.
#pragma once

#include "sidecar/lint/cursor.hpp"
#include "sidecar/lint/statement.hpp"

namespace sg::lint::detail {

// Adds `mode` on `r` to the statement's locks; a relation locked twice keeps the stronger mode.
void add_lock(StatementFacts& f, LockMode mode, const Relation& r);

// ALTER TABLE [IF EXISTS] [ONLY] name [*] action, ...: `c` is past ALTER TABLE.
void analyse_alter_table(Cursor& c, StatementFacts& f);

}  // namespace sg::lint::detail
