#include "daemon/metrics.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <utility>

#include "common/utf8.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace {

constexpr std::array<std::string_view, 3> kPollResults = {"ok", "unavailable", "error"};
constexpr std::array<std::string_view, 4> kDeliveryResults = {"delivered", "retry", "failed",
                                                              "silenced"};

double unix_seconds(SystemTime t) { return static_cast<double>(to_unix_ms(t)) / 1000.0; }

// Label values: backslash, double quote and line feed escaped (the format's
// only escapes). Prometheus refuses label values that are not UTF-8, and names
// come from OMS replies and configuration: a stray byte becomes U+FFFD rather
// than breaking the whole scrape.
void append_label_value(std::string& out, std::string_view value) {
  for (std::size_t i = 0; i < value.size();) {
    const char c = value[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      const std::size_t n = utf8_sequence_length(value, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
        continue;
      }
      out.append(value.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
}

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_number(std::string& out, int v) { append_number(out, static_cast<std::int64_t>(v)); }

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
  }
}

struct Label {
  std::string_view name;
  std::string_view value;
};

// Writes families and samples in the text format. The caller keeps each
// family's samples together, right after its family() line.
class Exposition {
 public:
  explicit Exposition(std::string& out) : out_(out) {}

  // HELP texts are constants without backslashes or line feeds, so they need
  // no escaping.
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  template <class Value>
  void sample(std::string_view name, std::initializer_list<Label> labels, Value value) {
    out_ += name;
    if (labels.size() != 0) {
      out_ += '{';
      bool first = true;
      for (const Label& l : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += l.name;
        out_ += "=\"";
        append_label_value(out_, l.value);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    append_number(out_, value);
    out_ += '\n';
  }

 private:
  std::string& out_;
};

// A scrape-time gauge; left out when it has no source or its source fails
// (a locked database must not cost the whole scrape).
void scrape_gauge(Exposition& x, std::string_view name, std::string_view help,
                  const ScrapeGauges::Source& source) {
  if (!source) return;
  std::optional<std::int64_t> value;
  try {
    value = source();
  } catch (const std::exception&) {
    return;
  }
  if (!value) return;
  x.family(name, "gauge", help);
  x.sample(name, {}, *value);
}

}  // namespace

Metrics::Metrics(std::string version, std::function<SystemTime()> clock)
    : version_(std::move(version)),
      clock_(clock ? std::move(clock) : [] { return std::chrono::system_clock::now(); }),
      start_time_s_(unix_seconds(clock_())) {}

Metrics::OmsSeries& Metrics::oms_series(std::string_view oms) {
  auto it = oms_.find(oms);
  if (it == oms_.end()) it = oms_.emplace(std::string(oms), OmsSeries{}).first;
  return it->second;
}

std::array<std::uint64_t, 4>& Metrics::receiver_series(std::string_view receiver) {
  auto it = deliveries_.find(receiver);
  if (it == deliveries_.end()) {
    it = deliveries_.emplace(std::string(receiver), std::array<std::uint64_t, 4>{}).first;
  }
  return it->second;
}

void Metrics::declare_oms(std::string_view oms) { oms_series(oms); }

void Metrics::declare_receiver(std::string_view receiver) { receiver_series(receiver); }

std::shared_ptr<Metrics::ProjectSeries>& Metrics::project_series(OmsSeries& oms,
                                                                 std::string_view project_id) {
  auto it = oms.projects.find(project_id);
  if (it == oms.projects.end()) {
    it = oms.projects.emplace(std::string(project_id), std::make_shared<ProjectSeries>()).first;
  }
  return it->second;
}

bool Metrics::ProjectHandle::attached() const { return series_ && series_->attached; }

Metrics::ProjectHandle Metrics::project(std::string_view oms, std::string_view project_id) {
  ProjectHandle h;
  h.oms_ = &oms_series(oms);
  h.series_ = project_series(*h.oms_, project_id);
  return h;
}

void Metrics::count_poll(OmsSeries& s, PollResult result, std::chrono::duration<double> latency,
                         double now_s) {
  ++s.polls[static_cast<std::size_t>(result)];
  const double seconds = std::max(0.0, latency.count());
  std::size_t bucket = 0;
  while (bucket < kPollDurationBuckets.size() && seconds > kPollDurationBuckets[bucket]) ++bucket;
  ++s.duration_buckets[bucket];
  s.duration_sum += seconds;
  if (result != PollResult::error) s.last_success_s = now_s;
}

void Metrics::poll_completed(std::string_view oms, PollResult result,
                             std::chrono::duration<double> latency) {
  count_poll(oms_series(oms), result, latency,
             result != PollResult::error ? unix_seconds(clock_()) : 0);
}

void Metrics::poll_completed(const ProjectHandle& project, PollResult result,
                             std::chrono::duration<double> latency) {
  if (!project.oms_) return;
  count_poll(*project.oms_, result, latency,
             result != PollResult::error ? unix_seconds(clock_()) : 0);
}

void Metrics::observe(ProjectSeries& p, std::string_view status, std::optional<int> struct_progress,
                      std::optional<int> full_progress, std::optional<std::int64_t> incr_lag_s) {
  if (p.status != status) p.status.assign(status);
  p.struct_progress = struct_progress;
  p.full_progress = full_progress;
  p.incr_lag_s = incr_lag_s;
}

void Metrics::project_observed(std::string_view oms, std::string_view project_id,
                               std::string_view status, std::optional<int> struct_progress,
                               std::optional<int> full_progress,
                               std::optional<std::int64_t> incr_lag_s) {
  observe(*project_series(oms_series(oms), project_id), status, struct_progress, full_progress,
          incr_lag_s);
}

void Metrics::project_observed(const ProjectHandle& project, std::string_view status,
                               std::optional<int> struct_progress,
                               std::optional<int> full_progress,
                               std::optional<std::int64_t> incr_lag_s) {
  // A detached series is written to and never rendered: cheaper than a check.
  if (project.series_) {
    observe(*project.series_, status, struct_progress, full_progress, incr_lag_s);
  }
}

void Metrics::ProjectHandle::set_outlook(const Outlook& outlook) const {
  if (!series_) return;
  auto seconds = [](Duration d) {
    return static_cast<std::int64_t>(std::llround(static_cast<double>(d.count()) / 1000.0));
  };
  series_->eta_low_s.reset();
  series_->eta_high_s.reset();
  if (outlook.eta) {
    series_->eta_low_s = seconds(outlook.eta->low);
    series_->eta_high_s = seconds(outlook.eta->high);
  }
}

void Metrics::ProjectHandle::set_step(const storage::StepSample* step) const {
  if (!series_) return;
  ProjectSeries& p = *series_;
  p.src_rps = step ? step->src_rps : std::nullopt;
  p.dst_rps = step ? step->dst_rps : std::nullopt;
  p.src_rps_ref = step ? step->src_rps_ref : std::nullopt;
  p.dst_rps_ref = step ? step->dst_rps_ref : std::nullopt;
}

void Metrics::ProjectHandle::set_verify(const storage::VerifyRecord* verify) const {
  if (!series_) return;
  series_->verify_differences = verify ? verify->different_number : std::nullopt;
}

void Metrics::forget_project(std::string_view oms, std::string_view project_id) {
  auto it = oms_.find(oms);
  if (it == oms_.end()) return;
  auto& projects = it->second.projects;
  if (auto p = projects.find(project_id); p != projects.end()) {
    p->second->attached = false;
    projects.erase(p);
  }
}

void Metrics::event_recorded(std::string_view kind, std::string_view state) {
  auto k = events_.find(kind);
  if (k == events_.end()) k = events_.emplace(std::string(kind), decltype(k->second){}).first;
  auto s = k->second.find(state);
  if (s == k->second.end()) s = k->second.emplace(std::string(state), 0).first;
  ++s->second;
}

void Metrics::delivery_finished(std::string_view receiver, DeliveryResult result,
                                std::uint64_t count) {
  receiver_series(receiver)[static_cast<std::size_t>(result)] += count;
}

void Metrics::database_write_failed() { ++database_write_errors_; }

void Metrics::set_scrape_gauges(ScrapeGauges gauges) { gauges_ = std::move(gauges); }

std::string Metrics::render() const {
  std::size_t projects = 0;
  for (const auto& [name, o] : oms_) projects += o.projects.size();
  std::string out;
  // About 400 bytes per project (status and three gauges) and 1.5 KiB per OMS.
  out.reserve(4096 + projects * 400 + oms_.size() * 1536);
  Exposition x(out);

  x.family("omswatch_build_info", "gauge", "The omswatch version that is running; always 1.");
  x.sample("omswatch_build_info", {{"version", version_}}, 1);
  x.family("omswatch_start_time_seconds", "gauge",
           "When the daemon started, in seconds since the Unix epoch.");
  x.sample("omswatch_start_time_seconds", {}, start_time_s_);

  if (!oms_.empty()) {
    x.family("omswatch_polls_total", "counter",
             "Polls of a project's progress, by OMS and result (ok, unavailable, error).");
    for (const auto& [oms, s] : oms_) {
      for (std::size_t r = 0; r < kPollResults.size(); ++r) {
        x.sample("omswatch_polls_total", {{"oms", oms}, {"result", kPollResults[r]}}, s.polls[r]);
      }
    }
    std::array<std::string, kPollDurationBuckets.size()> bounds;
    for (std::size_t b = 0; b < bounds.size(); ++b)
      append_number(bounds[b], kPollDurationBuckets[b]);
    x.family("omswatch_poll_duration_seconds", "histogram",
             "Time from sending a progress request to OMS until its reply or failure.");
    for (const auto& [oms, s] : oms_) {
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < kPollDurationBuckets.size(); ++b) {
        cumulative += s.duration_buckets[b];
        x.sample("omswatch_poll_duration_seconds_bucket", {{"oms", oms}, {"le", bounds[b]}},
                 cumulative);
      }
      cumulative += s.duration_buckets.back();
      x.sample("omswatch_poll_duration_seconds_bucket", {{"oms", oms}, {"le", "+Inf"}}, cumulative);
      x.sample("omswatch_poll_duration_seconds_sum", {{"oms", oms}}, s.duration_sum);
      x.sample("omswatch_poll_duration_seconds_count", {{"oms", oms}}, cumulative);
    }
    bool any_success = false;
    for (const auto& [oms, s] : oms_) any_success = any_success || s.last_success_s.has_value();
    if (any_success) {
      x.family("omswatch_oms_last_success_timestamp_seconds", "gauge",
               "When OMS last answered a poll (ok or unavailable), in seconds since the Unix "
               "epoch.");
      for (const auto& [oms, s] : oms_) {
        if (s.last_success_s) {
          x.sample("omswatch_oms_last_success_timestamp_seconds", {{"oms", oms}},
                   *s.last_success_s);
        }
      }
    }
  }

  scrape_gauge(x, "omswatch_watched_projects", "Projects the daemon polls.",
               gauges_.watched_projects);

  bool status_announced = false;
  for (const auto& [oms, s] : oms_) {
    for (const auto& [project, series] : s.projects) {
      const ProjectSeries& p = *series;
      if (p.status.empty()) continue;
      if (!status_announced) {
        x.family("omswatch_project_status", "gauge",
                 "1 for the status a project had at its last successful poll (RUNNING, "
                 "FAILED...).");
        status_announced = true;
      }
      x.sample("omswatch_project_status",
               {{"oms", oms}, {"project_id", project}, {"status", p.status}}, 1);
    }
  }
  // A family lists only the projects that have a value for it.
  auto project_gauge = [&](std::string_view name, std::string_view help, auto value_of) {
    bool announced = false;
    for (const auto& [oms, s] : oms_) {
      for (const auto& [project, p] : s.projects) {
        const auto value = value_of(*p);
        if (!value) continue;
        if (!announced) x.family(name, "gauge", help);
        announced = true;
        x.sample(name, {{"oms", oms}, {"project_id", project}}, static_cast<std::int64_t>(*value));
      }
    }
  };
  project_gauge("omswatch_project_struct_progress_percent",
                "Schema (structure) transfer progress of a project, 0 to 100.",
                [](const ProjectSeries& p) { return p.struct_progress; });
  project_gauge("omswatch_project_full_progress_percent",
                "Full data transfer progress of a project, 0 to 100.",
                [](const ProjectSeries& p) { return p.full_progress; });
  project_gauge("omswatch_project_incr_lag_seconds",
                "Incremental sync lag of a project: OMS time minus its incremental checkpoint.",
                [](const ProjectSeries& p) { return p.incr_lag_s; });

  // Gauges of one project with one more label, one series per value of it.
  using Getter = std::optional<std::int64_t> ProjectSeries::*;
  auto labeled_gauge = [&](std::string_view name, std::string_view help, std::string_view label,
                           std::initializer_list<std::pair<std::string_view, Getter>> series) {
    bool announced = false;
    for (const auto& [oms, s] : oms_) {
      for (const auto& [project, p] : s.projects) {
        for (const auto& [value_name, member] : series) {
          const auto& value = (*p).*member;
          if (!value) continue;
          if (!announced) x.family(name, "gauge", help);
          announced = true;
          x.sample(name, {{"oms", oms}, {"project_id", project}, {label, value_name}}, *value);
        }
      }
    }
  };
  labeled_gauge("omswatch_full_transfer_eta_seconds",
                "Time the full transfer still needs, as a range (bound low and high), in seconds.",
                "bound",
                {{"low", &ProjectSeries::eta_low_s}, {"high", &ProjectSeries::eta_high_s}});
  labeled_gauge("omswatch_full_transfer_rps",
                "Rows per second of the running full transfer, read (src) and written (dst).",
                "side", {{"src", &ProjectSeries::src_rps}, {"dst", &ProjectSeries::dst_rps}});
  labeled_gauge("omswatch_full_transfer_rps_ref",
                "OMS's baseline rows per second for the running full transfer (src and dst).",
                "side",
                {{"src", &ProjectSeries::src_rps_ref}, {"dst", &ProjectSeries::dst_rps_ref}});
  project_gauge("omswatch_verify_differences",
                "Differences the latest full verification of a project found.",
                [](const ProjectSeries& p) { return p.verify_differences; });

  scrape_gauge(x, "omswatch_conditions_firing",
               "Conditions (project_failed, incr_stalled, oms_unreachable...) that hold now.",
               gauges_.conditions_firing);

  if (!events_.empty()) {
    x.family("omswatch_events_total", "counter",
             "Events detected and stored, by kind and state (firing, resolved, notice).");
    for (const auto& [kind, states] : events_) {
      for (const auto& [state, n] : states) {
        x.sample("omswatch_events_total", {{"kind", kind}, {"state", state}}, n);
      }
    }
  }
  if (!deliveries_.empty()) {
    x.family("omswatch_deliveries_total", "counter",
             "Delivery attempts of one event to one receiver, by result (delivered, retry, "
             "failed, silenced).");
    for (const auto& [receiver, counts] : deliveries_) {
      for (std::size_t r = 0; r < kDeliveryResults.size(); ++r) {
        x.sample("omswatch_deliveries_total",
                 {{"receiver", receiver}, {"result", kDeliveryResults[r]}}, counts[r]);
      }
    }
  }
  scrape_gauge(x, "omswatch_outbox_pending", "Deliveries waiting in the outbox (due or retrying).",
               gauges_.outbox_pending);
  scrape_gauge(x, "omswatch_database_size_bytes",
               "Disk space of the SQLite database: the file and its write-ahead log.",
               gauges_.database_size_bytes);
  scrape_gauge(x, "omswatch_database_filesystem_avail_bytes",
               "Bytes omswatch may still write on the file system that holds the database.",
               gauges_.database_filesystem_avail_bytes);
  scrape_gauge(x, "omswatch_database_filesystem_size_bytes",
               "Size in bytes of the file system that holds the database.",
               gauges_.database_filesystem_size_bytes);
  x.family("omswatch_database_write_errors_total", "counter",
           "Poll results the database refused to store (each is detected again at the next poll).");
  x.sample("omswatch_database_write_errors_total", {}, database_write_errors_);
  return out;
}

std::int64_t database_disk_bytes(const std::string& path) {
  std::int64_t total = 0;
  for (const std::string& file : {path, path + "-wal"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (!ec) total += static_cast<std::int64_t>(size);
  }
  return total;
}

std::optional<DatabaseFilesystem> database_filesystem(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  const std::filesystem::space_info space = std::filesystem::space(dir, ec);
  if (ec) return std::nullopt;
  return DatabaseFilesystem{static_cast<std::int64_t>(space.available),
                            static_cast<std::int64_t>(space.capacity)};
}

}  // namespace omswatch::daemon
