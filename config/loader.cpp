#include "config/loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <vector>

#include "common/ascii.h"
#include "config/expand.h"
#include "config/file_reader.h"
#include "net/listen_address.h"
#include "net/url.h"

namespace omswatch::config::detail {

namespace {

namespace fs = std::filesystem;

// Bounds on what one value may hold; the file as a whole is bounded by kMaxConfigBytes.
constexpr std::size_t kMaxStringBytes = 64 * 1024;
constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxProjectIdLength = 256;
constexpr int kMaxCount = 1000;  // unreachable_after, unavailable_after
constexpr int kMaxInFlight = 1024;
constexpr std::size_t kMaxShownErrors = 100;

// The range of each duration setting (docs/configuration.md, "Durations"). A
// value outside is refused where it is written: a slip of a unit ("30000d"
// for "30s") must not become a busy loop, a timer that wraps, or a wait
// that never ends.
struct Range {
  Duration min;  // 0: zero allowed
  Duration max;
};
constexpr Duration kDay = 24h;
constexpr Range kIntervalRange{100ms, kDay};        // oms.interval
constexpr Range kTimeoutRange{100ms, 10min};        // oms.timeout, receivers.timeout
constexpr Range kDiscoverRange{100ms, 7 * kDay};    // oms.discover_every
constexpr Range kThresholdRange{1s, 30 * kDay};     // stall_after, max_lag
constexpr Range kRepeatRange{1s, 30 * kDay};        // routes.*.repeat
constexpr Range kGroupWaitRange{0ms, 1h};           // routes.*.group_wait
constexpr Range kRetryRange{100ms, kDay};           // delivery.first_retry, max_retry
constexpr Range kMaxAgeRange{1s, 30 * kDay};        // delivery.max_age
constexpr Range kSampleEveryRange{0ms, kDay};       // storage.sample_every
constexpr Range kRetentionRange{1ms, 3650 * kDay};  // storage.keep_* (and at least a day)

constexpr std::array<std::string_view, 7> kSections = {"daemon",    "oms",      "detect", "routes",
                                                       "receivers", "delivery", "storage"};
constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};
constexpr std::array<std::string_view, 3> kSeverities = {"info", "warning", "critical"};
constexpr std::array<std::string_view, 2> kProjectTypes = {"MIGRATION", "SYNC"};
constexpr std::array<std::string_view, 8> kReceiverTypes = {
    "webhook", "slack", "dingtalk", "feishu", "wecom", "teams", "alertmanager", "console"};
// Channels that sign their requests with `secret`.
constexpr std::array<std::string_view, 4> kSigningTypes = {"webhook", "dingtalk", "feishu",
                                                           "alertmanager"};
// Chat webhooks whose URL carries the access token, so an inline URL is a secret in the file.
constexpr std::array<std::string_view, 5> kTokenUrlTypes = {"slack", "dingtalk", "feishu", "wecom",
                                                            "teams"};

bool contains(std::span<const std::string_view> list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

std::string join(std::span<const std::string_view> list) {
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += i + 1 == list.size() ? " or " : ", ";
    out += list[i];
  }
  return out;
}

struct Place {
  int line = 0;
  int column = 0;
};

Place place_of(const toml::source_region& region) {
  return {static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}
Place place_of(const toml::node& node) { return place_of(node.source()); }
Place place_of(const toml::key& key) { return place_of(key.source()); }

std::string where(Place p) {
  return "line " + std::to_string(p.line) + ", column " + std::to_string(p.column);
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// A value or key made fit for a message. Only values that are never secrets
// are shown, and even those are cut short and stripped of control characters:
// the file may be hostile, and the message ends up in a terminal or a journal.
std::string printable(std::string_view text, bool quote_marks, std::size_t max_shown = 40) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      if (quote_marks && (c == '"' || c == '\\')) out += '\\';
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max_shown) out += "...";
  return out;
}

std::string shown(std::string_view text) { return "\"" + printable(text, true) + "\""; }
std::string shown_key(std::string_view path) { return "'" + printable(path, false) + "'"; }

// Levenshtein distance, ignoring case: "Database" and "databse" are both
// close to "database".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution =
          diagonal + (ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" when a candidate is within two edits of `word`, or
// one is the start of the other ("warning" for "warn"); else "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  constexpr std::size_t kMaxDistance = 2;
  constexpr std::size_t kMinPrefix = 3;
  if (word.size() > 64) return "";  // keeps the quadratic distance cheap on hostile keys
  std::string_view best;
  std::size_t best_distance = kMaxDistance + 1;
  for (auto candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    if (std::min(word.size(), candidate.size()) >= kMinPrefix &&
        (istarts_with(word, candidate) || istarts_with(candidate, word))) {
      d = std::min<std::size_t>(d, kMaxDistance);
    }
    if (d < best_distance && d < std::max(word.size(), candidate.size())) {
      best = candidate;
      best_distance = d;
    }
  }
  if (best.empty()) return "";
  return " (did you mean '" + std::string(best) + "'?)";
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool has_control_or_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c == 0x7f;
  });
}

// What is wrong with `url`, or "" when it is a plausible http(s) URL. The HTTP
// client parses it for real; this catches typos while the operator is looking.
std::string url_problem(std::string_view url, bool https_allowed) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (https_allowed && url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return https_allowed ? "must start with http:// or https://" : "must start with http://";
  }
  if (has_control_or_space(url)) return "must not contain spaces or control characters";
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const std::string_view host = authority.substr(authority.rfind('@') + 1);
  if (host.empty() || host.starts_with(':')) return "has no host";
  // The grammar the HTTP client applies when it sends: what it would refuse is refused here.
  if (!net::detail::parse_url(url)) {
    return "is not a valid URL: the host must be a name or an address (IPv6 in brackets, "
           "[::1]) and the port 1 to 65535";
  }
  return "";
}

// A value read from a list, with its place for later messages.
struct Item {
  std::string value;
  Place at;
};

using FieldReader = std::function<void(const toml::node& value, const std::string& key)>;
struct Field {
  std::string_view name;
  FieldReader read;
};

class Loader {
 public:
  Loader(const LoadInput& input, const EnvLookup& env) : input_(input), env_(env) {}

  LoadResult run() {
    config_.source = input_.source;
    if (input_.text.size() > kMaxConfigBytes) {
      error({}, "the configuration is larger than 1 MiB");
      return finish();
    }
    toml::table root;
    try {
      root = toml::parse(input_.text, std::string_view(input_.source));
    } catch (const toml::parse_error& e) {
      // toml++ may quote a character or a key of the document; keep it printable.
      error(place_of(e.source()), printable(e.description(), false, 200));
      return finish();
    }
    read_root(root);
    return finish();
  }

 private:
  // ----- diagnostics

  void error(Place p, std::string message) {
    errors_.push_back({input_.source, p.line, p.column, std::move(message)});
  }
  void warn(Place p, std::string message) {
    warnings_.push_back({input_.source, p.line, p.column, std::move(message)});
  }

  LoadResult finish() {
    LoadResult result;
    auto by_place = [](const Diagnostic& a, const Diagnostic& b) {
      constexpr int kLast = std::numeric_limits<int>::max();
      // Placeless problems (a missing section) come after the ones with a line.
      const int la = a.line == 0 ? kLast : a.line;
      const int lb = b.line == 0 ? kLast : b.line;
      return la != lb ? la < lb : a.column < b.column;
    };
    std::stable_sort(errors_.begin(), errors_.end(), by_place);
    std::stable_sort(warnings_.begin(), warnings_.end(), by_place);
    if (errors_.size() > kMaxShownErrors) {
      const std::size_t hidden = errors_.size() - kMaxShownErrors;
      errors_.resize(kMaxShownErrors);
      errors_.push_back(
          {input_.source, 0, 0, "too many errors; " + std::to_string(hidden) + " more not shown"});
    }
    result.errors = std::move(errors_);
    result.warnings = std::move(warnings_);
    if (result.errors.empty()) result.config = std::move(config_);
    return result;
  }

  // ----- tables

  // Calls the reader of each key of `table`; a key without one is an error.
  void read_fields(const toml::table& table, std::string_view section,
                   const std::vector<Field>& fields) {
    std::vector<std::string_view> names;
    for (const auto& f : fields) names.push_back(f.name);
    for (auto&& [key, value] : table) {
      const std::string path = std::string(section) + "." + std::string(key.str());
      // A named copy: clang before 16 cannot capture a structured binding.
      const std::string_view name = key.str();
      auto field = std::find_if(fields.begin(), fields.end(),
                                [&](const Field& f) { return f.name == name; });
      if (field == fields.end()) {
        error(place_of(key), "unknown key " + shown_key(path) + did_you_mean(key.str(), names));
        continue;
      }
      field->read(value, path);
    }
  }

  const toml::table* table_of(const toml::node& node, const std::string& key,
                              std::string_view example) {
    const auto* table = node.as_table();
    if (!table) {
      error(place_of(node), key + ": expected a table such as " + std::string(example) + ", not " +
                                type_name(node));
    }
    return table;
  }

  // The tables of an array of tables ([[oms]]); inline tables in an array count too.
  std::vector<const toml::table*> tables_of(const toml::node& node, const std::string& key) {
    std::vector<const toml::table*> tables;
    const auto* array = node.as_array();
    if (!array) {
      error(place_of(node), key + ": expected an array of tables: write [[" + key + "]], not " +
                                (node.is_table() ? "[" + key + "]" : type_name(node)));
      return tables;
    }
    for (const auto& element : *array) {
      if (const auto* table = element.as_table()) {
        tables.push_back(table);
      } else {
        error(place_of(element), key + ": expected a table, not " + type_name(element));
      }
    }
    return tables;
  }

  // ----- values

  std::optional<std::string> string_value(const toml::node& node, const std::string& key) {
    const auto* s = node.as_string();
    if (!s) {
      error(place_of(node), key + ": expected a string, not " + type_name(node));
      return std::nullopt;
    }
    auto expanded = expand_env(s->get(), env_);
    if (!expanded) {
      error(place_of(node), key + ": " + expanded.error());
      return std::nullopt;
    }
    if (expanded->size() > kMaxStringBytes) {
      error(place_of(node), key + ": longer than 64 KiB");
      return std::nullopt;
    }
    if (expanded->find('\0') != std::string::npos) {
      error(place_of(node), key + ": must not contain a NUL character");
      return std::nullopt;
    }
    return std::move(*expanded);
  }

  std::optional<std::string> enum_value(const toml::node& node, const std::string& key,
                                        std::span<const std::string_view> allowed) {
    auto text = string_value(node, key);
    if (!text) return std::nullopt;
    if (!contains(allowed, *text)) {
      error(place_of(node), key + ": " + shown(*text) + " is not one of " + join(allowed) +
                                did_you_mean(*text, allowed));
      return std::nullopt;
    }
    return text;
  }

  std::optional<Duration> duration_value(const toml::node& node, const std::string& key,
                                         Range range) {
    if (!node.is_string()) {
      error(place_of(node),
            key + ": expected a duration string like \"30s\", not " + type_name(node));
      return std::nullopt;
    }
    auto text = string_value(node, key);
    if (!text) return std::nullopt;
    if (text->starts_with('-')) {
      error(place_of(node), key + ": must not be negative");
      return std::nullopt;
    }
    auto d = parse_duration(*text);
    if (!d) {
      error(place_of(node), key + ": " + shown(*text) +
                                " is not a duration; write e.g. \"500ms\", \"30s\", \"5m\", "
                                "\"1h\", \"7d\" or \"1h30m\"");
      return std::nullopt;
    }
    if (range.min.count() > 0 && d->count() == 0) {
      error(place_of(node), key + ": must be longer than 0s");
      return std::nullopt;
    }
    if (*d < range.min || *d > range.max) {
      const bool low = *d < range.min;
      error(place_of(node), key + ": " + shown(*text) +
                                (low ? " is too short: at least " : " is too long: at most ") +
                                format_duration(low ? range.min : range.max));
      return std::nullopt;
    }
    return d;
  }

  std::optional<int> int_value(const toml::node& node, const std::string& key, int min, int max) {
    const auto* i = node.as_integer();
    if (!i) {
      error(place_of(node), key + ": expected an integer, not " + type_name(node));
      return std::nullopt;
    }
    const std::int64_t value = i->get();
    if (value < min || value > max) {
      error(place_of(node), key + ": must be between " + std::to_string(min) + " and " +
                                std::to_string(max) + ", not " + std::to_string(value));
      return std::nullopt;
    }
    return static_cast<int>(value);
  }

  std::optional<bool> bool_value(const toml::node& node, const std::string& key) {
    const auto* b = node.as_boolean();
    if (!b) {
      error(place_of(node), key + ": expected true or false, not " + type_name(node));
      return std::nullopt;
    }
    return b->get();
  }

  // An array of non-empty strings; bad entries are reported and left out.
  std::optional<std::vector<Item>> string_list(const toml::node& node, const std::string& key) {
    const auto* array = node.as_array();
    if (!array) {
      error(place_of(node),
            key + ": expected an array of strings like [\"a\", \"b\"], not " + type_name(node));
      return std::nullopt;
    }
    std::vector<Item> items;
    for (const auto& element : *array) {
      auto text = string_value(element, key);
      if (!text) continue;
      if (text->empty()) {
        error(place_of(element), key + ": entries must not be empty");
        continue;
      }
      items.push_back({std::move(*text), place_of(element)});
    }
    return items;
  }

  // Names of OMS deployments and receivers appear in CLI arguments, metrics
  // labels and file names: keep them to a plain, bounded set of characters.
  std::optional<std::string> name_value(const toml::node& node, const std::string& key) {
    auto text = string_value(node, key);
    if (!text) return std::nullopt;
    if (text->empty() || text->size() > kMaxNameLength ||
        !std::all_of(text->begin(), text->end(), is_name_char)) {
      error(place_of(node), key + ": " + shown(*text) +
                                " is not a valid name: use 1 to 64 letters, digits, '-', '_' "
                                "or '.'");
      return std::nullopt;
    }
    return text;
  }

  // URLs are never quoted in messages: a chat webhook's URL carries its token
  // and a proxy's may carry a password.
  std::optional<std::string> url_value(const toml::node& node, const std::string& key,
                                       bool https_allowed = true) {
    auto text = string_value(node, key);
    if (!text) return std::nullopt;
    if (auto problem = url_problem(*text, https_allowed); !problem.empty()) {
      error(place_of(node), key + ": " + problem);
      return std::nullopt;
    }
    return text;
  }

  // A file name; a relative one is taken from the configuration file's directory.
  std::optional<std::string> path_value(const toml::node& node, const std::string& key) {
    auto text = string_value(node, key);
    if (!text) return std::nullopt;
    if (text->empty()) {
      error(place_of(node), key + ": must not be empty");
      return std::nullopt;
    }
    fs::path path(*text);
    if (path.is_relative()) path = input_.base_dir / path;
    return path.lexically_normal().string();
  }

  // `key` written in the file (possibly as ${VAR}) or read from `key`_file,
  // never both. Returns nullopt after reporting a problem, an empty Secret
  // when neither is set and the secret is optional.
  std::optional<Secret> secret_value(const toml::table& table, Place table_at,
                                     const std::string& section, std::string_view key,
                                     bool required) {
    const std::string file_key = std::string(key) + "_file";
    const std::string path = section + "." + std::string(key);
    const std::string file_path = section + "." + file_key;
    const toml::node* inline_node = table.get(key);
    const toml::node* file_node = table.get(file_key);
    if (inline_node && file_node) {
      error(place_of(*file_node),
            file_path + ": set either " + std::string(key) + " or " + file_key + ", not both");
      return std::nullopt;
    }
    if (!inline_node && !file_node) {
      if (required) {
        error(table_at, "missing required key '" + path + "' (or '" + file_path + "')");
        return std::nullopt;
      }
      return Secret{};
    }
    if (input_.purpose == Purpose::queries) {
      // The shape only: the value, its ${VAR}s and its file are left alone.
      const toml::node& node = inline_node ? *inline_node : *file_node;
      if (inline_node) note_inline_secret(*inline_node, path);
      if (!node.is_string()) {
        error(place_of(node),
              (inline_node ? path : file_path) + ": expected a string, not " + type_name(node));
        return std::nullopt;
      }
      return Secret{};
    }
    if (inline_node) {
      note_inline_secret(*inline_node, path);
      auto value = string_value(*inline_node, path);
      if (!value) return std::nullopt;
      if (value->empty()) {
        error(place_of(*inline_node), path + ": is empty");
        return std::nullopt;
      }
      return Secret(std::move(*value));
    }
    auto file = path_value(*file_node, file_path);
    if (!file) return std::nullopt;
    auto contents = read_bounded_file(*file, kMaxSecretFileBytes);
    if (!contents) {
      error(place_of(*file_node), file_path + ": " + *file + " " + contents.error());
      return std::nullopt;
    }
    std::string& data = contents->data;
    if (data.ends_with("\r\n")) {
      data.resize(data.size() - 2);
    } else if (data.ends_with('\n')) {
      data.pop_back();
    }
    if (data.empty()) {
      error(place_of(*file_node), file_path + ": " + *file + " is empty");
      return std::nullopt;
    }
    if (auto readers = readable_by(contents->mode); !readers.empty()) {
      warn(place_of(*file_node), file_path + ": " + *file + " is readable by " + readers +
                                     " (mode " + mode_string(contents->mode) +
                                     "); it holds a secret: chmod 600");
    }
    return Secret(std::move(data));
  }

  static std::string readable_by(unsigned mode) {
    if (mode & 0004) return "others";
    if (mode & 0040) return "its group";
    return "";
  }

  // Remembers the first secret written into the file itself (not a lone
  // ${VAR}), for the warning about the file's permissions.
  void note_inline_secret(const toml::node& node, const std::string& key) {
    const auto* s = node.as_string();
    if (!s || is_single_reference(s->get()) || inline_secret_) return;
    inline_secret_ = Item{key, place_of(node)};
  }

  // ----- sections

  void read_root(const toml::table& root) {
    bool saw_oms = false;
    for (auto&& [key, value] : root) {
      const std::string name(key.str());
      if (name == "daemon") {
        read_daemon(value);
      } else if (name == "detect") {
        read_detect(value);
      } else if (name == "storage") {
        read_storage(value);
      } else if (name == "delivery") {
        read_delivery(value);
      } else if (name == "oms") {
        saw_oms = true;
        if (const auto* array = value.as_array(); array && array->empty()) {
          error(place_of(key), "oms: empty; name at least one OMS to watch");
        }
        for (const auto* table : tables_of(value, name)) read_oms(*table);
      } else if (name == "receivers") {
        for (const auto* table : tables_of(value, name)) read_receiver(*table);
      } else if (name == "routes") {
        read_routes(value);
      } else {
        error(place_of(key), std::string("unknown ") + (value.is_table() ? "table " : "key ") +
                                 shown_key(name) + did_you_mean(name, kSections));
      }
    }
    if (!saw_oms) error({}, "no [[oms]] table: name at least one OMS to watch");
    check_route_receivers();
    fill_default_routes();
    if (inline_secret_ && input_.mode) {
      if (auto readers = readable_by(*input_.mode); !readers.empty()) {
        warn(inline_secret_->at,
             inline_secret_->value + " is written in " + input_.source + ", which is readable by " +
                 readers + " (mode " + mode_string(*input_.mode) +
                 "); it holds secrets: chmod 600, or move them to ${VAR} or a *_file key");
      }
    }
  }

  void read_daemon(const toml::node& node) {
    const auto* table = table_of(node, "daemon", "[daemon]");
    if (!table) return;
    DaemonSettings& d = config_.daemon;
    read_fields(*table, "daemon",
                {
                    {"database",
                     [&](const toml::node& v, const std::string& key) {
                       if (auto path = path_value(v, key)) d.database = std::move(*path);
                     }},
                    {"listen",
                     [&](const toml::node& v, const std::string& key) {
                       auto text = string_value(v, key);
                       if (!text) return;
                       if (!text->empty() && !net::split_listen(*text)) {
                         error(place_of(v), key + ": " + shown(*text) +
                                                " is not \"host:port\" such as "
                                                "\"127.0.0.1:9187\" (\"\" turns it off)");
                         return;
                       }
                       d.listen = std::move(*text);
                     }},
                    {"log_level",
                     [&](const toml::node& v, const std::string& key) {
                       if (auto level = enum_value(v, key, kLogLevels)) d.log_level = *level;
                     }},
                    // Read together by secret_value() below.
                    {"api_token", [](const toml::node&, const std::string&) {}},
                    {"api_token_file", [](const toml::node&, const std::string&) {}},
                });
    if (auto token = secret_value(*table, place_of(*table), "daemon", "api_token", false)) {
      d.api_token = std::move(*token);
      if (!net::is_token_text(d.api_token.reveal())) {
        const auto* node =
            table->contains("api_token") ? table->get("api_token") : table->get("api_token_file");
        // Never quoted: it is a secret.
        error(place_of(*node), std::string(table->contains("api_token") ? "daemon.api_token"
                                                                        : "daemon.api_token_file") +
                                   ": the token must be printable ASCII without spaces");
      }
    }
    if (const auto* listen = table->get("listen"); listen && input_.purpose == Purpose::daemon) {
      check_listen_reach(*listen);
    }
  }

  // What the daemon checks where it binds daemon.listen, checked here too so
  // that check-config refuses what run would: the host must resolve, and an
  // address beyond loopback needs an API token. Queries resolve nothing.
  void check_listen_reach(const toml::node& node) {
    const DaemonSettings& d = config_.daemon;
    auto where = net::split_listen(d.listen);
    if (d.listen.empty() || !where) return;  // off, or already reported
    auto addresses = net::resolve_listen_host(where->host);
    if (!addresses) {
      error(place_of(node), "daemon.listen: cannot resolve " + shown(where->host) + ": " +
                                printable(addresses.error(), false, 200));
      return;
    }
    if (d.api_token.empty() &&
        !std::all_of(addresses->begin(), addresses->end(), net::is_loopback)) {
      error(place_of(node), "daemon.listen: " + shown(d.listen) +
                                " is not a loopback address and no API token is set: anyone who "
                                "can reach it could read the projects' history. Set "
                                "daemon.api_token (or daemon.api_token_file), or listen on "
                                "127.0.0.1");
    }
  }

  // The four thresholds, shared by [detect] and the per-level overrides in [routes.LEVEL].
  void add_threshold_fields(ThresholdOverrides& out, std::vector<Field>& fields) {
    fields.push_back({"stall_after", [&](const toml::node& v, const std::string& key) {
                        out.stall_after = duration_value(v, key, kThresholdRange);
                      }});
    fields.push_back({"max_lag", [&](const toml::node& v, const std::string& key) {
                        out.max_lag = duration_value(v, key, kThresholdRange);
                      }});
    fields.push_back({"unreachable_after", [&](const toml::node& v, const std::string& key) {
                        out.unreachable_after = int_value(v, key, 1, kMaxCount);
                      }});
    fields.push_back({"unavailable_after", [&](const toml::node& v, const std::string& key) {
                        out.unavailable_after = int_value(v, key, 1, kMaxCount);
                      }});
  }

  void read_delivery(const toml::node& node) {
    const auto* table = table_of(node, "delivery", "[delivery]");
    if (!table) return;
    DeliverySettings& d = config_.delivery;
    read_fields(*table, "delivery",
                {
                    {"first_retry",
                     [&](const toml::node& v, const std::string& key) {
                       if (auto x = duration_value(v, key, kRetryRange)) d.first_retry = *x;
                     }},
                    {"max_retry",
                     [&](const toml::node& v, const std::string& key) {
                       if (auto x = duration_value(v, key, kRetryRange)) d.max_retry = *x;
                     }},
                    {"max_age",
                     [&](const toml::node& v, const std::string& key) {
                       if (auto x = duration_value(v, key, kMaxAgeRange)) d.max_age = *x;
                     }},
                });
    if (d.max_retry < d.first_retry) {
      error(place_of(*table), "delivery.max_retry is shorter than delivery.first_retry");
    }
  }

  // Retention below a day is refused: "30m" is far more likely a slip for
  // thirty days than a wish to keep half an hour of history.
  void read_storage(const toml::node& node) {
    const auto* table = table_of(node, "storage", "[storage]");
    if (!table) return;
    StorageSettings& s = config_.storage;
    auto retention = [&](const toml::node& v, const std::string& key, Duration& target) {
      auto d = duration_value(v, key, kRetentionRange);
      if (!d) return;
      if (*d < kDay) {
        error(place_of(v), key + ": " + format_duration(*d) +
                               " is less than a day; history is kept for days, e.g. \"30d\"");
        return;
      }
      target = *d;
    };
    read_fields(
        *table, "storage",
        {
            {"sample_every",
             [&](const toml::node& v, const std::string& key) {
               if (auto d = duration_value(v, key, kSampleEveryRange)) s.sample_every = *d;
             }},
            {"keep_samples", [&](const toml::node& v,
                                 const std::string& key) { retention(v, key, s.keep_samples); }},
            {"keep_events", [&](const toml::node& v,
                                const std::string& key) { retention(v, key, s.keep_events); }},
        });
  }

  void read_detect(const toml::node& node) {
    const auto* table = table_of(node, "detect", "[detect]");
    if (!table) return;
    ThresholdOverrides read;
    std::vector<Field> fields;
    add_threshold_fields(read, fields);
    read_fields(*table, "detect", fields);
    Thresholds& t = config_.detect;
    if (read.stall_after) t.stall_after = *read.stall_after;
    if (read.max_lag) t.max_lag = *read.max_lag;
    if (read.unreachable_after) t.unreachable_after = *read.unreachable_after;
    if (read.unavailable_after) t.unavailable_after = *read.unavailable_after;
  }

  void read_oms(const toml::table& table) {
    const Place at = place_of(table);
    OmsDeployment o;
    bool ok = true;
    auto keep = [&ok](auto&& value, auto& target) {
      if (value) {
        target = std::move(*value);
      } else {
        ok = false;
      }
    };
    std::optional<std::vector<Item>> projects;
    read_fields(
        table, "oms",
        {
            {"name",
             [&](const toml::node& v, const std::string& key) {
               auto name = name_value(v, key);
               if (name) note_name(oms_names_, "oms", *name, place_of(v));
               keep(std::move(name), o.name);
             }},
            {"url",
             [&](const toml::node& v, const std::string& key) {
               auto url = url_value(v, key);
               // The client appends the API path to the base.
               if (url) {
                 while (url->ends_with('/')) url->pop_back();
               }
               keep(std::move(url), o.url);
             }},
            {"username",
             [&](const toml::node& v, const std::string& key) {
               auto name = string_value(v, key);
               if (name && name->empty()) {
                 error(place_of(v), key + ": must not be empty");
                 name.reset();
               }
               keep(std::move(name), o.username);
             }},
            // The two forms of the password are read together by secret_value() below.
            {"password", [](const toml::node&, const std::string&) {}},
            {"password_file", [](const toml::node&, const std::string&) {}},
            {"interval",
             [&](const toml::node& v, const std::string& key) {
               keep(duration_value(v, key, kIntervalRange), o.interval);
             }},
            {"timeout",
             [&](const toml::node& v, const std::string& key) {
               keep(duration_value(v, key, kTimeoutRange), o.timeout);
             }},
            {"max_in_flight",
             [&](const toml::node& v, const std::string& key) {
               keep(int_value(v, key, 1, kMaxInFlight), o.max_in_flight);
             }},
            {"projects",
             [&](const toml::node& v, const std::string& key) {
               // A bad entry is reported on its own; it must not also read as "watches nothing".
               const std::size_t errors_before = errors_.size();
               projects = string_list(v, key);
               if (!projects || errors_.size() != errors_before) ok = false;
             }},
            {"discover", [&](const toml::node& v,
                             const std::string& key) { keep(bool_value(v, key), o.discover); }},
            {"discover_types",
             [&](const toml::node& v, const std::string& key) {
               auto items = string_list(v, key);
               if (!items) return;
               for (auto& item : *items) {
                 if (!contains(kProjectTypes, item.value)) {
                   error(item.at, key + ": " + shown(item.value) + " is not one of " +
                                      join(kProjectTypes) +
                                      did_you_mean(item.value, kProjectTypes));
                   continue;
                 }
                 if (std::find(o.discover_types.begin(), o.discover_types.end(), item.value) ==
                     o.discover_types.end()) {
                   o.discover_types.push_back(item.value);
                 }
               }
             }},
            {"discover_labels",
             [&](const toml::node& v, const std::string& key) {
               if (auto items = string_list(v, key)) {
                 for (auto& item : *items) o.discover_labels.push_back(std::move(item.value));
               }
             }},
            {"discover_every",
             [&](const toml::node& v, const std::string& key) {
               keep(duration_value(v, key, kDiscoverRange), o.discover_every);
             }},
            {"console_url",
             [&](const toml::node& v, const std::string& key) {
               auto text = string_value(v, key);
               if (text && !text->empty()) text = url_value(v, key);
               keep(std::move(text), o.console_url);
             }},
        });

    for (std::string_view required : {"name", "url", "username"}) {
      if (!table.contains(required)) {
        error(at, "missing required key 'oms." + std::string(required) + "'");
        ok = false;
      }
    }
    keep(secret_value(table, at, "oms", "password", true), o.password);

    if (projects) {
      std::map<std::string, Place, std::less<>> seen;
      for (auto& item : *projects) {
        if (item.value.size() > kMaxProjectIdLength || has_control_or_space(item.value)) {
          error(item.at, "oms.projects: " + shown(item.value) +
                             " is not a project id (no spaces, at most 256 characters)");
          ok = false;
          continue;
        }
        auto [first, inserted] = seen.emplace(item.value, item.at);
        if (!inserted) {
          error(item.at, "oms.projects: duplicate project " + shown(item.value) +
                             " (first listed at " + where(first->second) + ")");
          ok = false;
          continue;
        }
        o.projects.push_back(std::move(item.value));
      }
    }
    if (ok && !o.discover && o.projects.empty()) {
      error(at, "oms" + (o.name.empty() ? std::string() : " " + shown(o.name)) +
                    " watches nothing: list its projects = [...] or set discover = true");
    }
    if (!o.discover && (table.contains("discover_types") || table.contains("discover_labels") ||
                        table.contains("discover_every"))) {
      const auto* node = table.contains("discover_types")    ? table.get("discover_types")
                         : table.contains("discover_labels") ? table.get("discover_labels")
                                                             : table.get("discover_every");
      warn(place_of(*node),
           "oms.discover_types, oms.discover_labels and oms.discover_every have no effect unless "
           "discover = true");
    }
    config_.oms.push_back(std::move(o));
  }

  void read_receiver(const toml::table& table) {
    const Place at = place_of(table);
    Receiver r;
    const toml::node* url_node = nullptr;
    read_fields(table, "receivers",
                {
                    {"name",
                     [&](const toml::node& v, const std::string& key) {
                       if (auto name = name_value(v, key)) {
                         note_name(receiver_names_, "receiver", *name, place_of(v));
                         r.name = std::move(*name);
                       }
                     }},
                    {"type",
                     [&](const toml::node& v, const std::string& key) {
                       if (auto type = enum_value(v, key, kReceiverTypes)) r.type = *type;
                     }},
                    {"url", [&](const toml::node& v, const std::string&) { url_node = &v; }},
                    // Read together by secret_value() below, like the OMS password.
                    {"secret", [](const toml::node&, const std::string&) {}},
                    {"secret_file", [](const toml::node&, const std::string&) {}},
                    {"proxy",
                     [&](const toml::node& v, const std::string& key) {
                       auto text = string_value(v, key);
                       if (text && !text->empty()) text = url_value(v, key, false);
                       if (text) r.proxy = std::move(*text);
                     }},
                    {"timeout",
                     [&](const toml::node& v, const std::string& key) {
                       if (auto d = duration_value(v, key, kTimeoutRange)) r.timeout = *d;
                     }},
                });
    for (std::string_view required : {"name", "type"}) {
      if (!table.contains(required)) {
        error(at, "missing required key 'receivers." + std::string(required) + "'");
      }
    }
    if (url_node) {
      if (contains(kTokenUrlTypes, r.type)) note_inline_secret(*url_node, "receivers.url");
      if (input_.purpose == Purpose::queries) {
        // A secret too (it may carry a token): not expanded for queries.
        if (!url_node->is_string()) {
          error(place_of(*url_node),
                "receivers.url: expected a string, not " + type_name(*url_node));
        }
      } else if (auto url = url_value(*url_node, "receivers.url")) {
        r.url = Secret(std::move(*url));
      }
    } else if (!r.type.empty() && r.type != "console") {
      error(at, "missing required key 'receivers.url' (type " + shown(r.type) + " needs one)");
    }
    if (auto secret = secret_value(table, at, "receivers", "secret", false)) {
      r.secret = std::move(*secret);
      if (!r.secret.empty() && !r.type.empty() && !contains(kSigningTypes, r.type)) {
        const auto* node =
            table.contains("secret") ? table.get("secret") : table.get("secret_file");
        warn(place_of(*node), "receivers.secret is not used by type " + shown(r.type) + " (only " +
                                  join(kSigningTypes) +
                                  " use it: to sign requests, or as alertmanager's bearer token)");
      }
    }
    config_.receivers.push_back(std::move(r));
  }

  void read_routes(const toml::node& node) {
    const auto* table = table_of(node, "routes", "[routes.HIGH]");
    if (!table) return;
    for (auto&& [key, value] : *table) {
      const std::string level(key.str());
      if (!contains(kAlarmLevels, level)) {
        error(place_of(key), "unknown route " + shown_key("routes." + level) +
                                 ": the alarm levels are " + join(kAlarmLevels) +
                                 did_you_mean(level, kAlarmLevels));
        continue;
      }
      const auto* route_table = table_of(value, "routes." + level, "[routes." + level + "]");
      if (route_table) read_route(*route_table, level);
    }
  }

  void read_route(const toml::table& table, const std::string& level) {
    const std::string section = "routes." + level;
    Route route = default_route(level);
    std::vector<Field> fields = {
        {"receivers",
         [&](const toml::node& v, const std::string& key) {
           levels_with_receivers_.insert(level);
           auto items = string_list(v, key);
           if (!items) return;
           std::map<std::string, Place, std::less<>> seen;
           for (auto& item : *items) {
             auto [first, inserted] = seen.emplace(item.value, item.at);
             if (!inserted) {
               error(item.at, key + ": receiver " + shown(item.value) + " is listed twice");
               continue;
             }
             route_refs_.push_back({key, item});
             route.receivers.push_back(std::move(item.value));
           }
         }},
        {"min_severity",
         [&](const toml::node& v, const std::string& key) {
           if (auto s = enum_value(v, key, kSeverities)) route.min_severity = *parse_severity(*s);
         }},
        {"repeat",
         [&](const toml::node& v, const std::string& key) {
           if (auto d = duration_value(v, key, kRepeatRange)) route.repeat = *d;
         }},
        {"group_wait",
         [&](const toml::node& v, const std::string& key) {
           if (auto d = duration_value(v, key, kGroupWaitRange)) route.group_wait = *d;
         }},
    };
    add_threshold_fields(route.overrides, fields);
    read_fields(table, section, fields);
    config_.routes[level] = std::move(route);
  }

  static Route default_route(std::string_view level) {
    Route route;
    if (level == "HIGH") route.repeat = 1h;
    return route;
  }

  // A route that names no receivers sends to all of them, except IGNORE's,
  // which sends to none: a forgotten [routes.MEDIUM] must not drop alerts.
  void fill_default_routes() {
    for (auto level : kAlarmLevels) {
      auto it = config_.routes.find(level);
      if (it == config_.routes.end()) {
        it = config_.routes.emplace(std::string(level), default_route(level)).first;
      }
      if (level != "IGNORE" && !levels_with_receivers_.contains(std::string(level))) {
        for (const auto& r : config_.receivers) it->second.receivers.push_back(r.name);
      }
    }
  }

  void check_route_receivers() {
    std::vector<std::string_view> names;
    for (const auto& [name, at] : receiver_names_) names.push_back(name);
    for (const auto& ref : route_refs_) {
      if (receiver_names_.contains(ref.item.value)) continue;
      error(ref.item.at, ref.key + ": no receiver named " + shown(ref.item.value) +
                             " in [[receivers]]" + did_you_mean(ref.item.value, names));
    }
  }

  // Names must be unique: a second definition is an error pointing at the first.
  void note_name(std::map<std::string, Place, std::less<>>& names, std::string_view what,
                 const std::string& name, Place at) {
    auto [first, inserted] = names.emplace(name, at);
    if (!inserted) {
      error(at, "duplicate " + std::string(what) + " name " + shown(name) + " (first used at " +
                    where(first->second) + ")");
    }
  }

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

}  // namespace

LoadResult load(const LoadInput& input, const EnvLookup& env) { return Loader(input, env).run(); }

}  // namespace omswatch::config::detail
