// The readers of [daemon], [detect], [delivery], [storage] and [[oms]].

#include <toml++/toml.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/file_reader.h"
#include "config/loader_impl.h"
#include "net/listen_address.h"
#include "net/url.h"

namespace omswatch::config::detail {

void Loader::read_root(const toml::table& root) {
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

void Loader::read_daemon(const toml::node& node) {
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
                  {"public_url",
                   [&](const toml::node& v, const std::string& key) {
                     if (auto url = public_url_value(v, key)) d.public_url = std::move(*url);
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

namespace {

// What is wrong with a daemon.public_url, or "".
std::string public_url_problem(const std::string& url) {
  if (url.size() > kMaxPublicUrlLength) {
    return "is longer than " + std::to_string(kMaxPublicUrlLength) + " characters";
  }
  if (auto problem = url_problem(url, true); !problem.empty()) return problem;
  if (auto parsed = net::detail::parse_url(url); parsed && !parsed->userinfo.empty()) {
    return "must not carry user info (user:password@): every message would show it";
  }
  if (url.find_first_of("?#") != std::string::npos) {
    return "must not have a query or a fragment: it is the address the console's pages are "
           "under (\"https://omswatch.example.com/\")";
  }
  return "";
}

}  // namespace

std::optional<std::string> Loader::public_url_value(const toml::node& node,
                                                    const std::string& key) {
  auto text = string_value(node, key);
  if (!text || text->empty()) return text;
  // The URL itself is never quoted: it may hold a password.
  if (auto problem = public_url_problem(*text); !problem.empty()) {
    error(place_of(node), key + ": " + problem);
    return std::nullopt;
  }
  return text;
}

void Loader::check_listen_reach(const toml::node& node) {
  const DaemonSettings& d = config_.daemon;
  auto where = net::split_listen(d.listen);
  if (d.listen.empty() || !where) return;  // off, or already reported
  auto addresses = net::resolve_listen_host(where->host);
  if (!addresses) {
    error(place_of(node), "daemon.listen: cannot resolve " + shown(where->host) + ": " +
                              printable(addresses.error(), false, 200));
    return;
  }
  if (d.api_token.empty() && !std::all_of(addresses->begin(), addresses->end(), net::is_loopback)) {
    error(place_of(node), "daemon.listen: " + shown(d.listen) +
                              " is not a loopback address and no API token is set: anyone who "
                              "can reach it could read the projects' history. Set "
                              "daemon.api_token (or daemon.api_token_file), or listen on "
                              "127.0.0.1");
  }
}

void Loader::add_threshold_fields(ThresholdOverrides& out, std::vector<Field>& fields) {
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

void Loader::read_delivery(const toml::node& node) {
  const auto* table = table_of(node, "delivery", "[delivery]");
  if (!table) return;
  DeliverySettings& d = config_.delivery;
  read_fields(*table, "delivery",
              {
                  duration_field("first_retry", kRetryRange, d.first_retry),
                  duration_field("max_retry", kRetryRange, d.max_retry),
                  duration_field("max_age", kMaxAgeRange, d.max_age),
              });
  if (d.max_retry < d.first_retry) {
    error(place_of(*table), "delivery.max_retry is shorter than delivery.first_retry");
  }
}

void Loader::read_storage(const toml::node& node) {
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
          duration_field("sample_every", kSampleEveryRange, s.sample_every),
          {"keep_samples",
           [&](const toml::node& v, const std::string& key) { retention(v, key, s.keep_samples); }},
          {"keep_events",
           [&](const toml::node& v, const std::string& key) { retention(v, key, s.keep_events); }},
      });
}

void Loader::add_migration_fields(Thresholds& t, std::vector<Field>& fields) {
  fields.push_back(duration_field("steps_every", kStepsEveryRange, t.steps_every));
  fields.push_back({"slow_share", [&](const toml::node& v, const std::string& key) {
                      if (auto share = share_value(v, key)) t.slow_share = *share;
                    }});
  fields.push_back(duration_field("slow_for", kThresholdRange, t.slow_for));
  fields.push_back(duration_field("slow_grace", kGraceRange, t.slow_grace));
  fields.push_back({"max_eta", [&](const toml::node& v, const std::string& key) {
                      // "0" reads as the "0s" it means: no bound.
                      if (const auto* text = v.as_string(); text && text->get() == "0") {
                        t.max_eta = Duration::zero();
                      } else if (auto d = duration_value(v, key, kMaxEtaRange)) {
                        t.max_eta = *d;
                      }
                    }});
  fields.push_back(duration_field("behind_horizon", kThresholdRange, t.behind_horizon));
  fields.push_back(duration_field("cutover_max_lag", kThresholdRange, t.cutover_max_lag));
  fields.push_back(duration_field("cutover_for", kHoldRange, t.cutover_for));
  fields.push_back(duration_field("creating_grace", kGraceRange, t.creating_grace));
  fields.push_back(duration_field("failed_grace", kGraceRange, t.failed_grace));
}

void Loader::read_detect(const toml::node& node) {
  const auto* table = table_of(node, "detect", "[detect]");
  if (!table) return;
  ThresholdOverrides read;
  std::vector<Field> fields;
  add_threshold_fields(read, fields);
  add_migration_fields(config_.detect, fields);
  read_fields(*table, "detect", fields);
  Thresholds& t = config_.detect;
  if (read.stall_after) t.stall_after = *read.stall_after;
  if (read.max_lag) t.max_lag = *read.max_lag;
  if (read.unreachable_after) t.unreachable_after = *read.unreachable_after;
  if (read.unavailable_after) t.unavailable_after = *read.unavailable_after;
}

void Loader::read_oms(const toml::table& table) {
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
                                    join(kProjectTypes) + did_you_mean(item.value, kProjectTypes));
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

}  // namespace omswatch::config::detail
