// The readers of [[receivers]] and [routes], and the checks between them.

#include <toml++/toml.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/loader_impl.h"
#include "config/receiver_types.h"

namespace omswatch::config::detail {
namespace {

const std::vector<std::string_view> kReceiverTypes = receiver_type_names();
// Channels that sign their requests with `secret`.
const std::vector<std::string_view> kSigningTypes = receiver_type_names(&ReceiverType::uses_secret);
// Chat webhooks whose URL carries the access token, so an inline URL is a secret in the file.
const std::vector<std::string_view> kTokenUrlTypes =
    receiver_type_names(&ReceiverType::token_in_url);

}  // namespace

void Loader::read_receiver(const toml::table& table) {
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
                  duration_field("timeout", kTimeoutRange, r.timeout),
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
        error(place_of(*url_node), "receivers.url: expected a string, not " + type_name(*url_node));
      }
    } else if (auto url = url_value(*url_node, "receivers.url")) {
      r.url = Secret(std::move(*url));
    }
  } else if (const ReceiverType* type = find_receiver_type(r.type); type && type->needs_url) {
    error(at, "missing required key 'receivers.url' (type " + shown(r.type) + " needs one)");
  }
  if (auto secret = secret_value(table, at, "receivers", "secret", false)) {
    r.secret = std::move(*secret);
    if (!r.secret.empty() && !r.type.empty() && !contains(kSigningTypes, r.type)) {
      const auto* node = table.contains("secret") ? table.get("secret") : table.get("secret_file");
      warn(place_of(*node), "receivers.secret is not used by type " + shown(r.type) + " (only " +
                                join(kSigningTypes) +
                                " use it: to sign requests, or as alertmanager's bearer token)");
    }
  }
  config_.receivers.push_back(std::move(r));
}

void Loader::read_routes(const toml::node& node) {
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

void Loader::read_route(const toml::table& table, const std::string& level) {
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
      duration_field("repeat", kRepeatRange, route.repeat),
      duration_field("group_wait", kGroupWaitRange, route.group_wait),
  };
  add_threshold_fields(route.overrides, fields);
  for (std::string_view name : kDetectOnlyKeys) {
    fields.push_back({name, [this](const toml::node& v, const std::string& key) {
                        error(place_of(v), key + ": set it in [detect]; it applies to every " +
                                               "alarm level alike");
                      }});
  }
  read_fields(table, section, fields);
  config_.routes[level] = std::move(route);
}

Route Loader::default_route(std::string_view level) {
  Route route;
  if (level == "HIGH") route.repeat = 1h;
  return route;
}

void Loader::fill_default_routes() {
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

void Loader::check_route_receivers() {
  std::vector<std::string_view> names;
  for (const auto& [name, at] : receiver_names_) names.push_back(name);
  for (const auto& ref : route_refs_) {
    if (receiver_names_.contains(ref.item.value)) continue;
    error(ref.item.at, ref.key + ": no receiver named " + shown(ref.item.value) +
                           " in [[receivers]]" + did_you_mean(ref.item.value, names));
  }
}

void Loader::note_name(std::map<std::string, Place, std::less<>>& names, std::string_view what,
                       const std::string& name, Place at) {
  auto [first, inserted] = names.emplace(name, at);
  if (!inserted) {
    error(at, "duplicate " + std::string(what) + " name " + shown(name) + " (first used at " +
                  where(first->second) + ")");
  }
}

}  // namespace omswatch::config::detail
