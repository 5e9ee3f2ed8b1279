#pragma once
// The defaults of the settings that modules outside config/ also need, written
// once. The configuration (config/config.h) takes its defaults from here, and
// so do the option structs of the modules that do not depend on it: the
// store, the detector, the dispatcher and the HTTP endpoint (which tests and
// tools build without a configuration). docs/configuration.md lists them.

#include <chrono>

namespace omswatch::defaults {

using std::chrono::milliseconds;

// [oms] and [oms.thresholds]
inline constexpr milliseconds kStallAfter = std::chrono::minutes(5);
inline constexpr milliseconds kMaxLag = std::chrono::minutes(10);
inline constexpr int kUnreachableAfter = 3;
inline constexpr int kUnavailableAfter = 3;

// [detect]: migration progress (docs/alerts.md).
inline constexpr milliseconds kStepsEvery = std::chrono::minutes(1);
inline constexpr double kSlowShare = 0.5;
inline constexpr milliseconds kSlowFor = std::chrono::minutes(10);
inline constexpr milliseconds kSlowGrace = std::chrono::minutes(5);
inline constexpr milliseconds kMaxEta{0};  // no bound
inline constexpr milliseconds kBehindHorizon = std::chrono::minutes(30);
inline constexpr milliseconds kCutoverMaxLag = std::chrono::seconds(30);
inline constexpr milliseconds kCutoverFor = std::chrono::minutes(5);
inline constexpr milliseconds kCreatingGrace = std::chrono::minutes(10);
inline constexpr milliseconds kFailedGrace = std::chrono::minutes(2);

// [[route]]: how often a condition that still holds is sent again.
inline constexpr milliseconds kRepeat = std::chrono::hours(4);

// [daemon]
inline constexpr const char* kListen = "127.0.0.1:9187";

// [delivery]
inline constexpr milliseconds kFirstRetry = std::chrono::seconds(5);
inline constexpr milliseconds kMaxRetry = std::chrono::minutes(10);
inline constexpr milliseconds kMaxDeliveryAge = std::chrono::hours(24);

// [storage]
inline constexpr milliseconds kSampleEvery = std::chrono::minutes(1);
inline constexpr milliseconds kKeepSamples = std::chrono::hours(30 * 24);
inline constexpr milliseconds kKeepEvents = std::chrono::hours(365 * 24);

}  // namespace omswatch::defaults
