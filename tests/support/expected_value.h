#pragma once
// The value of an Expected that a test needs to go on: a failed read throws
// with its message, which GoogleTest reports as the test's failure.

#include <stdexcept>
#include <utility>

#include "common/expected.h"

namespace omswatch::testing {

template <class T>
T value_of(Expected<T> result) {
  if (!result) throw std::runtime_error(result.error());
  return std::move(*result);
}

}  // namespace omswatch::testing
