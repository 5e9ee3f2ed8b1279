#pragma once
// The TOML walk behind load_file() and load_string() (private to the config module).

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/purpose.h"

namespace omswatch::config::detail {

inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
inline constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;

struct LoadInput {
  std::string_view text;
  std::string source;              // names the text in diagnostics
  std::filesystem::path base_dir;  // absolute; relative paths in the text are resolved against it
  std::optional<unsigned> mode;    // permission bits of the file the text came from
  Purpose purpose = Purpose::daemon;
};

LoadResult load(const LoadInput& input, const EnvLookup& env);

}  // namespace omswatch::config::detail
