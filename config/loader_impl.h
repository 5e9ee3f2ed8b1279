#pragma once
// The TOML walk behind load(): one Loader reads one file (private to the
// config module). Its readers are split by concern: loader.cpp (diagnostics,
// tables and values), loader_sections.cpp ([daemon], [detect], [delivery],
// [storage], [[oms]]), loader_routes.cpp ([[receivers]] and [routes]).

#include <toml++/toml.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"
#include "config/loader_support.h"

namespace omswatch::config::detail {

class Loader {
 public:
  Loader(const LoadInput& input, const EnvLookup& env) : input_(input), env_(env) {}

  LoadResult run();

 private:
  // ----- diagnostics

  void error(Place p, std::string message);
  void warn(Place p, std::string message);

  LoadResult finish();

  // ----- tables

  // Calls the reader of each key of `table`; a key without one is an error.
  void read_fields(const toml::table& table, std::string_view section,
                   const std::vector<Field>& fields);

  const toml::table* table_of(const toml::node& node, const std::string& key,
                              std::string_view example);

  // The tables of an array of tables ([[oms]]); inline tables in an array count too.
  std::vector<const toml::table*> tables_of(const toml::node& node, const std::string& key);

  // ----- values

  std::optional<std::string> string_value(const toml::node& node, const std::string& key);

  std::optional<std::string> enum_value(const toml::node& node, const std::string& key,
                                        std::span<const std::string_view> allowed);

  std::optional<Duration> duration_value(const toml::node& node, const std::string& key,
                                         Range range);
  // A field that reads a duration within `range` into `target`, which keeps
  // its value when the text is refused.
  Field duration_field(std::string_view name, Range range, Duration& target);

  std::optional<int> int_value(const toml::node& node, const std::string& key, int min, int max);

  // A share: a number (0.5, or 1) above 0 and at most 1.
  std::optional<double> share_value(const toml::node& node, const std::string& key);

  std::optional<bool> bool_value(const toml::node& node, const std::string& key);

  // An array of non-empty strings; bad entries are reported and left out.
  std::optional<std::vector<Item>> string_list(const toml::node& node, const std::string& key);

  // Names of OMS deployments and receivers appear in CLI arguments, metrics
  // labels and file names: keep them to a plain, bounded set of characters.
  std::optional<std::string> name_value(const toml::node& node, const std::string& key);

  // URLs are never quoted in messages: a chat webhook's URL carries its token
  // and a proxy's may carry a password.
  std::optional<std::string> url_value(const toml::node& node, const std::string& key,
                                       bool https_allowed = true);

  // A file name; a relative one is taken from the configuration file's directory.
  std::optional<std::string> path_value(const toml::node& node, const std::string& key);

  // `key` written in the file (possibly as ${VAR}) or read from `key`_file,
  // never both. Returns nullopt after reporting a problem, an empty Secret
  // when neither is set and the secret is optional.
  std::optional<Secret> secret_value(const toml::table& table, Place table_at,
                                     const std::string& section, std::string_view key,
                                     bool required);

  static std::string readable_by(unsigned mode);

  // Remembers the first secret written into the file itself (not a lone
  // ${VAR}), for the warning about the file's permissions.
  void note_inline_secret(const toml::node& node, const std::string& key);

  // ----- sections

  void read_root(const toml::table& root);

  void read_daemon(const toml::node& node);

  // What the daemon checks where it binds daemon.listen, checked here too so
  // that check-config refuses what run would: the host must resolve, and an
  // address beyond loopback needs an API token. Queries resolve nothing.
  void check_listen_reach(const toml::node& node);
  // daemon.public_url: "" (none) or an http(s) URL without query, fragment or
  // user info, at most kMaxPublicUrlLength bytes.
  std::optional<std::string> public_url_value(const toml::node& node, const std::string& key);

  // The four thresholds, shared by [detect] and the per-level overrides in [routes.LEVEL].
  void add_threshold_fields(ThresholdOverrides& out, std::vector<Field>& fields);

  void read_delivery(const toml::node& node);

  // Retention below a day is refused: "30m" is far more likely a slip for
  // thirty days than a wish to keep half an hour of history.
  void read_storage(const toml::node& node);

  void read_detect(const toml::node& node);

  // The [detect]-only keys of migration progress (kDetectOnlyKeys).
  void add_migration_fields(Thresholds& out, std::vector<Field>& fields);

  void read_oms(const toml::table& table);

  void read_receiver(const toml::table& table);

  void read_routes(const toml::node& node);

  void read_route(const toml::table& table, const std::string& level);

  static Route default_route(std::string_view level);

  // A route that names no receivers sends to all of them, except IGNORE's,
  // which sends to none: a forgotten [routes.MEDIUM] must not drop alerts.
  void fill_default_routes();

  void check_route_receivers();

  // Names must be unique: a second definition is an error pointing at the first.
  void note_name(std::map<std::string, Place, std::less<>>& names, std::string_view what,
                 const std::string& name, Place at);

  struct RouteRef {
    std::string key;
    Item item;
  };

  const LoadInput& input_;
  const EnvLookup& env_;
  Config config_;
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
  std::optional<Item> inline_secret_;  // the first secret written in the file: key and place
  std::map<std::string, Place, std::less<>> oms_names_;
  std::map<std::string, Place, std::less<>> receiver_names_;
  std::vector<RouteRef> route_refs_;
  std::set<std::string, std::less<>> levels_with_receivers_;
};

}  // namespace omswatch::config::detail
