#pragma once
// Helpers shared by the config tests: an injected environment and diagnostics
// rendered as "line:col: message" so that tests compare positions exactly.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace omswatch::config::test {

inline EnvLookup env_of(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The password every test OMS reads from ${PW}.
inline constexpr const char* kPassword = "pw-8f3c1e";

inline LoadResult load(std::string_view text) {
  return load_string(text, "test.toml", env_of({{"PW", kPassword}}));
}

inline std::vector<std::string> rendered(const std::vector<Diagnostic>& list) {
  std::vector<std::string> out;
  for (const auto& d : list) {
    out.push_back(std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message);
  }
  return out;
}

inline std::vector<std::string> errors(const LoadResult& r) { return rendered(r.errors); }
inline std::vector<std::string> warnings(const LoadResult& r) { return rendered(r.warnings); }

// One valid OMS, six lines long; tests append what they exercise after it.
inline constexpr std::string_view kOms = R"([[oms]]
name = "prod"
url = "http://oms.example.internal:8089"
username = "watcher"
password = "${PW}"
projects = ["np_1"]
)";

inline std::string with_oms(std::string_view rest) { return std::string(kOms) + std::string(rest); }

}  // namespace omswatch::config::test
