#pragma once
// Timing helpers shared by the programs in bench/.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "common/expected.h"

namespace omswatch::bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The middle value (the upper one of an even count); `v` must not be empty.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The value of a read that must succeed: otherwise the program `name` stops
// with the error and exit code 1.
template <class T>
T value_or_exit(const char* name, Expected<T> read) {
  if (!read) {
    std::fprintf(stderr, "%s: %s\n", name, read.error().c_str());
    std::exit(1);
  }
  return std::move(*read);
}

}  // namespace omswatch::bench
