#pragma once
// omswatch's configuration: the TOML file described in docs/configuration.md,
// loaded and validated in one go. Loading never throws for bad input: every
// problem comes back as a Diagnostic naming file, line and column.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/defaults.h"
#include "common/severity.h"
#include "config/duration.h"

namespace omswatch::config {

using namespace std::chrono_literals;

// A credential. It has no stream operator and no formatter, so it cannot be
// logged by accident; reveal() is called only where it is put on the wire.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  friend bool operator==(const Secret&, const Secret&) = default;

 private:
  std::string value_;
};

struct Thresholds {
  Duration stall_after = defaults::kStallAfter;
  Duration max_lag = defaults::kMaxLag;
  int unreachable_after = defaults::kUnreachableAfter;
  int unavailable_after = defaults::kUnavailableAfter;
  // Migration progress: [detect] only, the same for every alarm level
  // (docs/configuration.md, "[detect]"; docs/alerts.md says what each does).
  Duration steps_every = defaults::kStepsEvery;  // never more often than oms.interval
  double slow_share = defaults::kSlowShare;      // 0 < x <= 1
  Duration slow_for = defaults::kSlowFor;
  Duration slow_grace = defaults::kSlowGrace;
  Duration max_eta = defaults::kMaxEta;  // 0: no bound
  Duration behind_horizon = defaults::kBehindHorizon;
  Duration cutover_max_lag = defaults::kCutoverMaxLag;
  Duration cutover_for = defaults::kCutoverFor;
  Duration creating_grace = defaults::kCreatingGrace;
  Duration failed_grace = defaults::kFailedGrace;
  friend bool operator==(const Thresholds&, const Thresholds&) = default;
};

struct ThresholdOverrides {
  std::optional<Duration> stall_after;
  std::optional<Duration> max_lag;
  std::optional<int> unreachable_after;
  std::optional<int> unavailable_after;
  friend bool operator==(const ThresholdOverrides&, const ThresholdOverrides&) = default;
};

// The alarm levels OMS gives a project, each with its own route.
inline constexpr std::string_view kAlarmLevels[] = {"HIGH", "MEDIUM", "LOW", "IGNORE"};

struct Route {
  std::vector<std::string> receivers;  // names from [[receivers]]
  Severity min_severity = Severity::info;
  Duration repeat = defaults::kRepeat;  // HIGH: 1h
  Duration group_wait = 10s;
  ThresholdOverrides overrides;
  friend bool operator==(const Route&, const Route&) = default;
};

struct OmsDeployment {
  std::string name;
  std::string url;  // base, e.g. "http://oms.example.internal:8089"
  std::string username;
  Secret password;
  Duration interval = 30s;
  Duration timeout = 10s;
  int max_in_flight = 8;
  std::vector<std::string> projects;
  bool discover = false;
  std::vector<std::string> discover_types;   // MIGRATION, SYNC
  std::vector<std::string> discover_labels;  // label names
  Duration discover_every = 5min;            // how often ListProjects is read
  std::string console_url;                   // for links in messages; empty: none
  friend bool operator==(const OmsDeployment&, const OmsDeployment&) = default;
};

struct Receiver {
  std::string name;
  std::string type;  // webhook | slack | dingtalk | feishu | wecom | teams | alertmanager | console
  Secret url;        // a secret: chat webhooks carry their token in the URL
  Secret secret;     // signing secret (webhook: "whsec_..."; dingtalk, feishu)
  std::string proxy;
  Duration timeout = 10s;
  friend bool operator==(const Receiver&, const Receiver&) = default;
};

struct DaemonSettings {
  std::string database = "/var/lib/omswatch/omswatch.db";
  std::string listen = defaults::kListen;  // "" turns the HTTP endpoint off
  std::string log_level = "info";          // trace, debug, info, warn, error, critical, off
  Secret api_token;  // bearer token of the HTTP endpoint; required when it listens beyond loopback
  // The address operators reach the web console at (through a reverse proxy,
  // perhaps under a path): an http(s) URL without query, fragment or user
  // info, at most kMaxPublicUrlLength bytes, as written. Alerts link to the
  // console's pages under it; "" (the default): alerts carry no such link.
  std::string public_url;
  friend bool operator==(const DaemonSettings&, const DaemonSettings&) = default;
};

// [delivery]: how the outbox retries a receiver that does not take a message.
struct DeliverySettings {
  Duration first_retry = defaults::kFirstRetry;  // doubled after each failed attempt, with jitter
  Duration max_retry = defaults::kMaxRetry;
  // Then the delivery is given up and recorded as failed.
  Duration max_age = defaults::kMaxDeliveryAge;
  friend bool operator==(const DeliverySettings&, const DeliverySettings&) = default;
};

// [storage]: how much history the database keeps (docs/schema.md, "How
// samples are kept" and "Retention").
struct StorageSettings {
  // A sample that differs from the previous one only in its checkpoints and
  // lags is stored at most this often; every other change is always stored.
  // 0 stores every poll.
  Duration sample_every = defaults::kSampleEvery;
  // Older samples are pruned (each project's latest is kept), and older
  // events without a pending delivery.
  Duration keep_samples = defaults::kKeepSamples;
  Duration keep_events = defaults::kKeepEvents;
  friend bool operator==(const StorageSettings&, const StorageSettings&) = default;
};

struct Config {
  std::string source;  // the file it was read from
  DaemonSettings daemon;
  std::vector<OmsDeployment> oms;
  Thresholds detect;
  StorageSettings storage;
  DeliverySettings delivery;
  // One entry for each of kAlarmLevels, defaults filled in. A level without a
  // `receivers` key sends to every receiver, except IGNORE, which sends to none.
  std::map<std::string, Route, std::less<>> routes;
  std::vector<Receiver> receivers;

  // The route of an alarm level; unknown or empty levels use MEDIUM's.
  const Route& route_for(std::string_view alarm_level) const;
  // [detect] with the level's overrides (stall_after, max_lag,
  // unreachable_after, unavailable_after) applied.
  Thresholds thresholds_for(std::string_view alarm_level) const;
  const Receiver* find_receiver(std::string_view name) const;
  const OmsDeployment* find_oms(std::string_view name) const;
};

// The secrets of the configuration, for masking them in text that comes
// back from outside (common/redact.h): each OMS password and its
// "username:password" (the Basic credentials), each receiver's secret and the
// secrets its URL carries (url_secrets(): user info, token path segments and
// query values), and the API token.
std::vector<std::string> secrets_of(const OmsDeployment& oms);
std::vector<std::string> secrets_of(const Receiver& receiver);
std::vector<std::string> secrets_of(const Config& config);

struct Diagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 when the problem has no place (missing key)
  int column = 0;
  std::string message;
  std::string to_string() const;  // "file:line:col: message" (or "file: message")
};

struct LoadResult {
  std::optional<Config> config;  // set when errors is empty
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;  // e.g. a file with secrets readable by others
};

// Looks up an environment variable; injected so tests need not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup process_environment();

// Reads `path` (at most 1 MiB) and any password_file / secret_file it names
// (at most 64 KiB each, one trailing newline stripped). `${VAR}` in any string
// value is replaced from `env`; "$${" stands for a literal "${". Relative paths
// (database, *_file) are resolved against the directory of `path`, so the
// Config holds absolute paths. Warns when the file holds a secret written
// inline and is readable by group or others. Diagnostics come sorted by place
// and never contain a secret.
LoadResult load_file(const std::string& path, const EnvLookup& env = process_environment());
// Parses TOML text like load_file(); `source` names it in diagnostics.
// *_file paths are read from disk, and relative paths are resolved against
// the current working directory.
LoadResult load_string(std::string_view toml, const std::string& source,
                       const EnvLookup& env = process_environment());

}  // namespace omswatch::config
