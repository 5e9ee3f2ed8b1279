// Fuzzes the configuration loader (config/config.h) with the input as the TOML
// text: whatever the text, loading must end with a Config or with diagnostics,
// never crash, hang or allocate without bound. `${VAR}` is expanded from a
// fixed set of variables, and *_file keys can name the two small files put in
// the fuzzer's own scratch directory (its working directory). Besides the
// sanitizers' findings, it stops on a broken promise of config.h: a result
// with both a Config and errors, or with neither, or a diagnostic without a
// message.

#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "config/config.h"

namespace {

namespace fs = std::filesystem;

std::string scratch_dir;

void remove_scratch() {
  std::error_code ec;
  if (!scratch_dir.empty()) fs::remove_all(scratch_dir, ec);
}

std::optional<std::string> fake_env(std::string_view name) {
  if (name == "OMS_PASSWORD") return "s3cret";
  if (name == "SLACK_URL") return "https://hooks.slack.com/services/T000/B000/XXXX";
  if (name == "EMPTY") return "";
  if (name == "HOME") return "/home/omswatch";
  return std::nullopt;
}

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "broken promise: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string pattern = (fs::temp_directory_path() / "omswatch-fuzz-config-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) return 0;
  scratch_dir = pattern;
  std::atexit(remove_scratch);
  std::ofstream(fs::path(scratch_dir) / "password") << "s3cret\n";
  std::ofstream(fs::path(scratch_dir) / "token") << "tok_0123456789abcdef";
  fs::permissions(fs::path(scratch_dir) / "password",
                  fs::perms::owner_read | fs::perms::owner_write);
  if (::chdir(scratch_dir.c_str()) != 0) return 0;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  omswatch::config::LoadResult r = omswatch::config::load_string(text, "fuzz.toml", fake_env);
  if (r.config.has_value() == !r.errors.empty())
    broken("a Config together with errors, or neither");
  for (const auto* list : {&r.errors, &r.warnings}) {
    for (const auto& d : *list) {
      if (d.message.empty()) broken("a diagnostic without a message");
      if (d.line < 0 || d.column < 0) broken("a negative place");
      (void)d.to_string();
    }
  }
  if (r.config) {
    // Every route is filled in and every route's receivers exist.
    for (auto level : omswatch::config::kAlarmLevels) {
      const auto& route = r.config->route_for(level);
      for (const auto& name : route.receivers) {
        if (!r.config->find_receiver(name)) broken("a route to a receiver that does not exist");
      }
      (void)r.config->thresholds_for(level);
    }
  }
  return 0;
}
