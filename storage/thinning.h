#pragma once
// Thinning: which polls become sample rows (StoreOptions::sample_every). Pure:
// no SQLite. The write path asks worth_storing() for every sample and keeps
// the stored form of each project's latest stored sample in memory.

#include <chrono>
#include <cstddef>
#include <string_view>

#include "storage/store.h"

namespace omswatch::storage {

// What thinning remembers of a project's latest stored sample: the sample
// without its oms, project id and error text, and the error as a hash, since a
// project may fail with a 4 KiB message and thousands of them should not hold
// megabytes.
struct StoredSample {
  Sample sample;
  std::size_t error_hash = 0;
};

// 0 for no error; never 0 for an error.
std::size_t error_hash(std::string_view stored_error);

// The stored form of `x`, whose error is stored as `stored_error` (the error
// text as the row holds it, cut to its bound).
StoredSample stored_form(const Sample& x, std::string_view stored_error);

// Whether `next` is worth a row after `last` (nullptr: the project has no
// sample yet). A change of outcome, status, alarm level, step, progress or
// error always is; a change of checkpoints or lags only once sample_every has
// passed since `last` (or the clock went back); an identical sample never is.
// A zero sample_every stores every sample.
bool worth_storing(const StoredSample& next, const StoredSample* last,
                   std::chrono::milliseconds sample_every);

}  // namespace omswatch::storage
