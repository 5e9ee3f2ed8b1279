#include "config/config.h"

#include <cstdlib>
#include <filesystem>

#include "common/redact.h"
#include "config/file_reader.h"
#include "config/loader.h"

namespace omswatch::config {

namespace fs = std::filesystem;

std::vector<std::string> secrets_of(const OmsDeployment& oms) {
  std::vector<std::string> out = url_secrets(oms.url);
  if (!oms.password.empty()) {
    out.push_back(oms.password.reveal());
    out.push_back(oms.username + ":" + oms.password.reveal());
  }
  return out;
}

std::vector<std::string> secrets_of(const Receiver& receiver) {
  std::vector<std::string> out = url_secrets(receiver.url.reveal());
  if (!receiver.url.empty()) out.push_back(receiver.url.reveal());
  if (!receiver.secret.empty()) out.push_back(receiver.secret.reveal());
  return out;
}

std::vector<std::string> secrets_of(const Config& config) {
  std::vector<std::string> out;
  for (const auto& o : config.oms) {
    auto s = secrets_of(o);
    out.insert(out.end(), s.begin(), s.end());
  }
  for (const auto& r : config.receivers) {
    auto s = secrets_of(r);
    out.insert(out.end(), s.begin(), s.end());
  }
  if (!config.daemon.api_token.empty()) out.push_back(config.daemon.api_token.reveal());
  return out;
}

const Route& Config::route_for(std::string_view alarm_level) const {
  if (auto it = routes.find(alarm_level); it != routes.end()) return it->second;
  if (auto it = routes.find("MEDIUM"); it != routes.end()) return it->second;
  // Only a Config put together by hand, not by load_*(), lacks MEDIUM.
  static const Route kMediumDefaults;
  return kMediumDefaults;
}

Thresholds Config::thresholds_for(std::string_view alarm_level) const {
  Thresholds t = detect;
  const ThresholdOverrides& o = route_for(alarm_level).overrides;
  if (o.stall_after) t.stall_after = *o.stall_after;
  if (o.max_lag) t.max_lag = *o.max_lag;
  if (o.unreachable_after) t.unreachable_after = *o.unreachable_after;
  if (o.unavailable_after) t.unavailable_after = *o.unavailable_after;
  return t;
}

const Receiver* Config::find_receiver(std::string_view name) const {
  for (const auto& r : receivers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const OmsDeployment* Config::find_oms(std::string_view name) const {
  for (const auto& o : oms) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

std::string Diagnostic::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ':' + std::to_string(line) + ':' + std::to_string(column) + ": " + message;
}

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

LoadResult load_file(const std::string& path, const EnvLookup& env) {
  return load_file(path, env, Purpose::daemon);
}

LoadResult load_string(std::string_view toml, const std::string& source, const EnvLookup& env) {
  return load_string(toml, source, env, Purpose::daemon);
}

LoadResult load_file(const std::string& path, const EnvLookup& env, Purpose purpose) {
  auto contents = detail::read_bounded_file(path, detail::kMaxConfigBytes);
  if (!contents) {
    LoadResult failed;
    failed.errors.push_back({path, 0, 0, contents.error()});
    return failed;
  }
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) absolute = path;
  return detail::load({contents->data, path, absolute.parent_path(), contents->mode, purpose}, env);
}

LoadResult load_string(std::string_view toml, const std::string& source, const EnvLookup& env,
                       Purpose purpose) {
  std::error_code ec;
  fs::path base = fs::current_path(ec);
  return detail::load({toml, source, ec ? fs::path() : base, std::nullopt, purpose}, env);
}

}  // namespace omswatch::config
