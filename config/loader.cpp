#include "config/loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "config/expand.h"
#include "config/file_reader.h"
#include "config/loader_impl.h"

namespace omswatch::config::detail {

namespace fs = std::filesystem;

LoadResult Loader::run() {
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

void Loader::error(Place p, std::string message) {
  errors_.push_back({input_.source, p.line, p.column, std::move(message)});
}

void Loader::warn(Place p, std::string message) {
  warnings_.push_back({input_.source, p.line, p.column, std::move(message)});
}

LoadResult Loader::finish() {
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

void Loader::read_fields(const toml::table& table, std::string_view section,
                         const std::vector<Field>& fields) {
  std::vector<std::string_view> names;
  for (const auto& f : fields) names.push_back(f.name);
  for (auto&& [key, value] : table) {
    const std::string path = std::string(section) + "." + std::string(key.str());
    // A named copy: clang before 16 cannot capture a structured binding.
    const std::string_view name = key.str();
    auto field =
        std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.name == name; });
    if (field == fields.end()) {
      error(place_of(key), "unknown key " + shown_key(path) + did_you_mean(key.str(), names));
      continue;
    }
    field->read(value, path);
  }
}

const toml::table* Loader::table_of(const toml::node& node, const std::string& key,
                                    std::string_view example) {
  const auto* table = node.as_table();
  if (!table) {
    error(place_of(node),
          key + ": expected a table such as " + std::string(example) + ", not " + type_name(node));
  }
  return table;
}

std::vector<const toml::table*> Loader::tables_of(const toml::node& node, const std::string& key) {
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

std::optional<std::string> Loader::string_value(const toml::node& node, const std::string& key) {
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

std::optional<std::string> Loader::enum_value(const toml::node& node, const std::string& key,
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

std::optional<Duration> Loader::duration_value(const toml::node& node, const std::string& key,
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

Field Loader::duration_field(std::string_view name, Range range, Duration& target) {
  return {name, [this, range, &target](const toml::node& v, const std::string& key) {
            if (auto d = duration_value(v, key, range)) target = *d;
          }};
}

std::optional<int> Loader::int_value(const toml::node& node, const std::string& key, int min,
                                     int max) {
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

std::optional<double> Loader::share_value(const toml::node& node, const std::string& key) {
  std::optional<double> value;
  if (const auto* f = node.as_floating_point()) value = f->get();
  if (const auto* i = node.as_integer()) value = static_cast<double>(i->get());
  if (!value) {
    error(place_of(node), key + ": expected a number such as 0.5, not " + type_name(node));
    return std::nullopt;
  }
  // NaN fails both comparisons, so it is refused too.
  if (!(*value > 0.0 && *value <= 1.0)) {
    std::ostringstream shown_value;
    shown_value << *value;
    error(place_of(node), key + ": must be more than 0 and at most 1, not " + shown_value.str());
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Loader::bool_value(const toml::node& node, const std::string& key) {
  const auto* b = node.as_boolean();
  if (!b) {
    error(place_of(node), key + ": expected true or false, not " + type_name(node));
    return std::nullopt;
  }
  return b->get();
}

std::optional<std::vector<Item>> Loader::string_list(const toml::node& node,
                                                     const std::string& key) {
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

std::optional<std::string> Loader::name_value(const toml::node& node, const std::string& key) {
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

std::optional<std::string> Loader::url_value(const toml::node& node, const std::string& key,
                                             bool https_allowed) {
  auto text = string_value(node, key);
  if (!text) return std::nullopt;
  if (auto problem = url_problem(*text, https_allowed); !problem.empty()) {
    error(place_of(node), key + ": " + problem);
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> Loader::path_value(const toml::node& node, const std::string& key) {
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

std::optional<Secret> Loader::secret_value(const toml::table& table, Place table_at,
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
    warn(place_of(*file_node), file_path + ": " + *file + " is readable by " + readers + " (mode " +
                                   mode_string(contents->mode) + "); it holds a secret: chmod 600");
  }
  return Secret(std::move(data));
}

std::string Loader::readable_by(unsigned mode) {
  if (mode & 0004) return "others";
  if (mode & 0040) return "its group";
  return "";
}

void Loader::note_inline_secret(const toml::node& node, const std::string& key) {
  const auto* s = node.as_string();
  if (!s || is_single_reference(s->get()) || inline_secret_) return;
  inline_secret_ = Item{key, place_of(node)};
}

LoadResult load(const LoadInput& input, const EnvLookup& env) { return Loader(input, env).run(); }

}  // namespace omswatch::config::detail
