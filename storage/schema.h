#pragma once
// The schema's migrations, private to storage/. docs/schema.md documents the
// result; tests/storage checks that the two agree.

#include <span>
#include <string_view>

namespace omswatch::storage {

struct Migration {
  int version;           // PRAGMA user_version once applied
  std::string_view sql;  // run in one transaction with the version bump
};

// In ascending version order, starting at 1 and without gaps. A migration is
// never edited once released: a change is a new migration.
std::span<const Migration> migrations();

// The version this build of omswatch writes and reads.
int latest_schema_version();

}  // namespace omswatch::storage
