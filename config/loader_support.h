#pragma once
// What the configuration loader's readers share (private to the config
// module): the bounds on values, the lists of allowed words, places in the
// file and the texts of diagnostics.

#include <toml++/toml.h>

#include <array>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"

namespace omswatch::config::detail {

// Bounds on what one value may hold; the file as a whole is bounded by kMaxConfigBytes.
inline constexpr std::size_t kMaxStringBytes = 64 * 1024;
inline constexpr std::size_t kMaxNameLength = 64;
inline constexpr std::size_t kMaxProjectIdLength = 256;
inline constexpr std::size_t kMaxPublicUrlLength = 512;  // daemon.public_url
inline constexpr int kMaxCount = 1000;  // unreachable_after, unavailable_after
inline constexpr int kMaxInFlight = 1024;
inline constexpr std::size_t kMaxShownErrors = 100;

// The range of each duration setting (docs/configuration.md, "Durations"). A
// value outside is refused where it is written: a slip of a unit ("30000d"
// for "30s") must not become a busy loop, a timer that wraps, or a wait
// that never ends.
struct Range {
  Duration min;  // 0: zero allowed
  Duration max;
};
inline constexpr Duration kDay = 24h;
inline constexpr Range kIntervalRange{100ms, kDay};        // oms.interval
inline constexpr Range kTimeoutRange{100ms, 10min};        // oms.timeout, receivers.timeout
inline constexpr Range kDiscoverRange{100ms, 7 * kDay};    // oms.discover_every
inline constexpr Range kThresholdRange{1s, 30 * kDay};     // stall_after, max_lag
inline constexpr Range kRepeatRange{1s, 30 * kDay};        // routes.*.repeat
inline constexpr Range kGroupWaitRange{0ms, 1h};           // routes.*.group_wait
inline constexpr Range kRetryRange{100ms, kDay};           // delivery.first_retry, max_retry
inline constexpr Range kMaxAgeRange{1s, 30 * kDay};        // delivery.max_age
inline constexpr Range kSampleEveryRange{0ms, kDay};       // storage.sample_every
inline constexpr Range kRetentionRange{1ms, 3650 * kDay};  // storage.keep_* (and at least a day)
inline constexpr Range kStepsEveryRange{1s, kDay};         // detect.steps_every
inline constexpr Range kGraceRange{0ms, kDay};  // detect.slow_grace, creating_grace, failed_grace
inline constexpr Range kHoldRange{0ms, 30 * kDay};       // detect.cutover_for
inline constexpr Range kMaxEtaRange{0ms, 3650 * kDay};   // detect.max_eta (0: no bound)
// detect.slow_for, behind_horizon and cutover_max_lag take kThresholdRange.

// The [detect] keys that apply to every alarm level alike: a [routes.LEVEL]
// that sets one is told so.
inline constexpr std::array<std::string_view, 10> kDetectOnlyKeys = {
    "steps_every", "slow_share",  "slow_for",       "slow_grace",     "max_eta",
    "behind_horizon", "cutover_max_lag", "cutover_for", "creating_grace", "failed_grace"};

inline constexpr std::array<std::string_view, 7> kSections = {
    "daemon", "oms", "detect", "routes", "receivers", "delivery", "storage"};
inline constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                               "error", "critical", "off"};
inline constexpr std::array<std::string_view, 3> kSeverities = {"info", "warning", "critical"};
inline constexpr std::array<std::string_view, 2> kProjectTypes = {"MIGRATION", "SYNC"};
// The receiver types, and what is checked of each: config/receiver_types.h.

struct Place {
  int line = 0;
  int column = 0;
};

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

bool contains(std::span<const std::string_view> list, std::string_view word);

std::string join(std::span<const std::string_view> list);

Place place_of(const toml::source_region& region);

Place place_of(const toml::node& node);

Place place_of(const toml::key& key);

std::string where(Place p);

std::string type_name(const toml::node& node);

// A value or key made fit for a message. Only values that are never secrets
// are shown, and even those are cut short and stripped of control characters:
// the file may be hostile, and the message ends up in a terminal or a journal.
std::string printable(std::string_view text, bool quote_marks, std::size_t max_shown = 40);

std::string shown(std::string_view text);

std::string shown_key(std::string_view path);

// " (did you mean 'x'?)" when a candidate is within two edits of `word`, or
// one is the start of the other ("warning" for "warn"); else "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

bool is_name_char(char c);

bool has_control_or_space(std::string_view text);

// What is wrong with `url`, or "" when it is a plausible http(s) URL. The HTTP
// client parses it for real; this catches typos while the operator is looking.
std::string url_problem(std::string_view url, bool https_allowed);

}  // namespace omswatch::config::detail
