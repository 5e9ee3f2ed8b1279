#pragma once
// The daemon's metrics, rendered in the Prometheus text exposition format
// 0.0.4 (docs/http-api.md lists every metric). One Metrics object is owned by
// the service; the watcher and the dispatcher report to it through the domain
// methods below, and the HTTP endpoint renders it on each scrape.
//
// The domain methods sit on the poll path, so they are cheap: after the first
// call for a given OMS, project, receiver or event kind, a call is a few
// lookups in small ordered maps and never allocates (a new status text longer
// than the previous one aside).
//
// Not thread-safe: every call, render() included, on the daemon's io thread.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"
#include "daemon/detect/outlook.h"

namespace omswatch::storage {
struct StepSample;
struct VerifyRecord;
}  // namespace omswatch::storage

namespace omswatch::daemon {

// How one poll ended, as in a sample's outcome: a reply with data, a
// success:false reply, or no usable reply at all.
enum class PollResult { ok, unavailable, error };

// How one delivery (an outbox row: one event to one receiver) ended an attempt.
enum class DeliveryResult { delivered, retry, failed, silenced };

// Gauges read when /metrics is scraped. An empty function leaves its gauge
// out; a function that returns no value (it could not read it) or throws
// leaves it out of that scrape only.
struct ScrapeGauges {
  using Source = std::function<std::optional<std::int64_t>()>;
  Source outbox_pending;       // pending outbox rows
  Source database_size_bytes;  // see database_disk_bytes()
  // The file system that holds the database: space left to omswatch, and its
  // size (see database_filesystem()).
  Source database_filesystem_avail_bytes;
  Source database_filesystem_size_bytes;
  Source watched_projects;
  Source conditions_firing;  // conditions that hold now
};

class Metrics {
  struct ProjectSeries;
  struct OmsSeries;

 public:
  // One project's series, kept by the watcher with the project so that a
  // poll reports through it without looking the OMS and the project up.
  // Empty when default-constructed. After forget_project() the handle is
  // detached: what it reports goes nowhere, and the series are freed with
  // the last handle.
  class ProjectHandle {
   public:
    ProjectHandle() = default;
    explicit operator bool() const { return series_ != nullptr; }
    // False once its project was forgotten (or for an empty handle).
    bool attached() const;

    // Migration progress. Each replaces what the previous call of the same
    // setter gave; an absent value removes its series. No-ops on an empty
    // handle.
    // omswatch_full_transfer_eta_seconds{bound="low"|"high"} from
    // outlook.eta (whole seconds; both removed without an ETA).
    void set_outlook(const Outlook& outlook) const;
    // omswatch_full_transfer_rps{side="src"|"dst"} and
    // omswatch_full_transfer_rps_ref{side="src"|"dst"} from the latest
    // reading of a running full transfer; nullptr (the step is not running)
    // removes them.
    void set_step(const storage::StepSample* step) const;
    // omswatch_verify_differences from the latest verification's
    // different_number; nullptr (or an absent number) removes it.
    void set_verify(const storage::VerifyRecord* verify) const;

   private:
    friend class Metrics;
    std::shared_ptr<ProjectSeries> series_;
    OmsSeries* oms_ = nullptr;  // the OMS's counters: never removed while the Metrics live
  };

  // Upper bounds of omswatch_poll_duration_seconds, in seconds (+Inf follows).
  static constexpr std::array<double, 13> kPollDurationBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  // `version` goes to omswatch_build_info; `clock` (system clock when empty)
  // stamps the start time and each OMS's last success.
  explicit Metrics(std::string version, std::function<SystemTime()> clock = {});
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Makes an OMS's (or receiver's) counters appear, at zero, before its first
  // poll (delivery), so that rate() and absent() work from the first scrape.
  void declare_oms(std::string_view oms);
  void declare_receiver(std::string_view receiver);

  // One poll of one project: omswatch_polls_total, omswatch_poll_duration_seconds
  // and, when ok or unavailable (OMS answered), the OMS's last success time.
  void poll_completed(std::string_view oms, PollResult result,
                      std::chrono::duration<double> latency);

  // The handle of a project's series (created, without values, if absent).
  ProjectHandle project(std::string_view oms, std::string_view project_id);
  // poll_completed() for the handle's project's OMS.
  void poll_completed(const ProjectHandle& project, PollResult result,
                      std::chrono::duration<double> latency);
  // project_observed() for the handle's project, without a lookup.
  void project_observed(const ProjectHandle& project, std::string_view status,
                        std::optional<int> struct_progress, std::optional<int> full_progress,
                        std::optional<std::int64_t> incr_lag_s);

  // The project's progress as last seen. Replaces its previous values: the
  // series of the previous status disappears, and an absent progress or lag
  // removes that gauge.
  void project_observed(std::string_view oms, std::string_view project_id, std::string_view status,
                        std::optional<int> struct_progress, std::optional<int> full_progress,
                        std::optional<std::int64_t> incr_lag_s);
  // Removes every series of the project (no longer watched). Unknown: no-op.
  void forget_project(std::string_view oms, std::string_view project_id);

  // One stored event (kind: status_changed, project_failed...; state: firing,
  // resolved, notice).
  void event_recorded(std::string_view kind, std::string_view state);

  // `count` outbox rows of `receiver` ended an attempt with `result`.
  void delivery_finished(std::string_view receiver, DeliveryResult result, std::uint64_t count = 1);

  // One observation's transaction was refused by the database.
  void database_write_failed();

  void set_scrape_gauges(ScrapeGauges gauges);

  // The whole exposition, families in a fixed order, series sorted by labels.
  std::string render() const;

 private:
  struct ProjectSeries {
    bool attached = true;  // false once forgotten
    std::string status;
    std::optional<int> struct_progress;
    std::optional<int> full_progress;
    std::optional<std::int64_t> incr_lag_s;
    std::optional<std::int64_t> eta_low_s, eta_high_s;
    std::optional<std::int64_t> src_rps, dst_rps, src_rps_ref, dst_rps_ref;
    std::optional<std::int64_t> verify_differences;
  };
  struct OmsSeries {
    std::array<std::uint64_t, 3> polls{};  // by PollResult
    // Per bucket, not cumulative (one increment per poll); the last is +Inf.
    std::array<std::uint64_t, kPollDurationBuckets.size() + 1> duration_buckets{};
    double duration_sum = 0;
    std::optional<double> last_success_s;
    std::map<std::string, std::shared_ptr<ProjectSeries>, std::less<>> projects;
  };

  OmsSeries& oms_series(std::string_view oms);
  std::shared_ptr<ProjectSeries>& project_series(OmsSeries& oms, std::string_view project_id);
  static void count_poll(OmsSeries& s, PollResult result, std::chrono::duration<double> latency,
                         double now_s);
  static void observe(ProjectSeries& p, std::string_view status, std::optional<int> struct_progress,
                      std::optional<int> full_progress, std::optional<std::int64_t> incr_lag_s);
  std::array<std::uint64_t, 4>& receiver_series(std::string_view receiver);

  std::string version_;
  std::function<SystemTime()> clock_;
  double start_time_s_ = 0;
  std::map<std::string, OmsSeries, std::less<>> oms_;
  std::map<std::string, std::map<std::string, std::uint64_t, std::less<>>, std::less<>> events_;
  std::map<std::string, std::array<std::uint64_t, 4>, std::less<>> deliveries_;  // by result
  std::uint64_t database_write_errors_ = 0;
  ScrapeGauges gauges_;
};

// The bytes a SQLite database occupies on disk: the file and its write-ahead
// log (missing files count as 0). For ScrapeGauges::database_size_bytes.
std::int64_t database_disk_bytes(const std::string& path);

// The file system that holds the database at `path` (measured at its
// directory, so it works before the file exists): the bytes an unprivileged
// process may still write, and the file system's size. No value when the
// directory cannot be measured.
struct DatabaseFilesystem {
  std::int64_t avail_bytes = 0;
  std::int64_t size_bytes = 0;
};
std::optional<DatabaseFilesystem> database_filesystem(const std::string& path);

}  // namespace omswatch::daemon
