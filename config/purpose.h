#pragma once
// What a configuration is loaded for: the daemon needs every secret, the
// query commands only the database.

#include <string>
#include <string_view>

#include "config/config.h"

namespace omswatch::config {

enum class Purpose {
  // run, check-config, notify-test, reload: every secret is read (password_file,
  // secret_file, api_token_file opened; ${VAR} in them expanded).
  daemon,
  // status, history, events, silence: only the database is needed. Secrets are
  // checked for their shape (one of key and key_file, a string) but not read:
  // no *_file is opened and no ${VAR} in a secret (receivers.url included) is
  // expanded, so a user who may read the file but not the secrets can query.
  // Every Secret of the Config is empty.
  queries,
};

// load_file() and load_string() (config.h), for `purpose`; those two load for the daemon.
LoadResult load_file(const std::string& path, const EnvLookup& env, Purpose purpose);
LoadResult load_string(std::string_view toml, const std::string& source, const EnvLookup& env,
                       Purpose purpose);

}  // namespace omswatch::config
