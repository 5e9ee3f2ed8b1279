#include "daemon/watcher_impl.h"

namespace omswatch::daemon {

void Watcher::Impl::record(Oms& o, Project& p, const Observation& obs,
                           std::chrono::microseconds latency) {
  const TimePoint now = options.clock();
  const bool ok = obs.outcome == Observation::Outcome::ok;
  // The route (and its thresholds) of the level the project has now.
  std::string level = level_or_medium(
      ok && !obs.progress.alarm_level.empty() ? obs.progress.alarm_level : p.state.alarm_level);
  ProjectDetection det = detect(p.state, p.id, obs, now, thresholds_for(*config, level));
  const std::optional<std::string> gone = removal_reason(obs);
  if (gone) finish_project(p.id, det.state, *gone, now, det.findings);

  // The OMS's route walks all its projects: it matters only while its polls
  // fail or it is unreachable (a success of a reachable OMS finds nothing).
  std::string oms_level = obs.outcome == Observation::Outcome::failed || o.state.unreachable
                              ? oms_route_level(o, p, det.state.alarm_level)
                              : std::string("MEDIUM");
  OmsDetection oms_det =
      detect_oms(o.state, o.config.name, obs.outcome != Observation::Outcome::failed, obs.error,
                 o.projects.size(), now, thresholds_for(*config, oms_level));

  storage::ObservationWrite write;
  write.now = to_unix_ms(now);
  write.oms = o.config.name;
  write.project_id = p.id;
  write.sample = make_sample(o, p, obs, now, latency);
  write.project_state_json = to_json(det.state);
  std::string oms_json = to_json(oms_det.state);
  if (oms_json != o.state_json) write.oms_state_json = oms_json;
  // Only events carry the progress.
  std::string progress_json = ok && !det.findings.empty()
                                  ? boost::json::serialize(progress_to_json(obs.progress))
                                  : std::string("{}");
  ProjectState previous = std::move(p.state);
  p.state = std::move(det.state);
  add_events(write, o, p, det.findings, progress_json);
  add_oms_events(write, o, oms_level, oms_det.findings);

  log_poll(o, p, obs);
  if (Metrics* m = options.metrics) {
    if (!p.metrics) p.metrics = m->project(o.config.name, p.id);
    m->poll_completed(p.metrics,
                      ok                                                 ? PollResult::ok
                      : obs.outcome == Observation::Outcome::unavailable ? PollResult::unavailable
                                                                         : PollResult::error,
                      std::chrono::duration<double>(latency));
    if (ok) {
      const auto& sample = *write.sample;
      m->project_observed(p.metrics, sample.status, sample.struct_progress, sample.full_progress,
                          sample.incr_lag_s);
    }
  }
  if (!commit(write)) {
    // Keep the previous state: the next poll detects the same events again,
    // so nothing is lost while the database refuses writes.
    p.state = std::move(previous);
    return;
  }
  o.state = std::move(oms_det.state);
  if (write.oms_state_json) o.state_json = std::move(*write.oms_state_json);
  if (gone) remove_project(o, p.id, "");
}

void Watcher::Impl::add_events(storage::ObservationWrite& write, const Oms& o, const Project& p,
                               const std::vector<Finding>& findings,
                               const std::string& progress_json) {
  const std::string level = level_or_medium(p.state.alarm_level);
  for (const auto& f : findings) add_event(write, o, p.id, p.name, level, f, progress_json);
}

void Watcher::Impl::add_oms_events(storage::ObservationWrite& write, const Oms& o,
                                   const std::string& level, const std::vector<Finding>& findings) {
  for (const auto& f : findings) add_event(write, o, "", "", level, f, "{}");
}

void Watcher::Impl::add_event(storage::ObservationWrite& write, const Oms& o,
                              const std::string& project_id, const std::string& project_name,
                              const std::string& level, const Finding& f,
                              const std::string& progress_json) {
  storage::EventRecord e;
  e.id = new_event_id();
  e.oms = o.config.name;
  e.project_id = project_id;
  e.project_name = project_name;
  e.kind = f.kind;
  e.state = f.state;
  e.severity = std::string(to_string(f.severity));
  e.alarm_level = level;
  e.summary = f.summary;
  e.details_json = boost::json::serialize(f.details);
  e.progress_json = progress_json;
  e.observed_at = write.now;
  // The route's group_wait holds the first attempt back, so that what
  // happens within it goes out as one message.
  const auto due_at = write.now + config->route_for(level).group_wait.count();
  for (auto& r : notifiers::route_event(*config, level, f.severity)) {
    write.deliveries.push_back({e.id, std::move(r), due_at});
  }
  write.events.push_back(std::move(e));
}

bool Watcher::Impl::commit(const storage::ObservationWrite& write) {
  WriteBackoff& backoff = *options.write_backoff;
  // What was not stored, for the log: only built when a write fails.
  const auto subject = [&] {
    return write.project_id.empty()
               ? "the listing of OMS " + write.oms
               : "the poll of project " + write.project_id + " on " + write.oms;
  };
  const bool tried = backoff.may_write();
  Expected<void> committed = tried ? store.record(write) : Expected<void>(make_error("skipped"));
  if (!committed) {
    if (options.metrics) options.metrics->database_write_failed();
    ++counters.store_errors;
    ++counters.consecutive_store_errors;
    if (tried) {
      backoff.failed();
      last_store_error = committed.error();
    } else {
      ++counters.store_skipped;
    }
    switch (store_run.failed()) {
      case FailureRun::Say::start:
        spdlog::error(
            "could not store {}: {}. Until the database accepts "
            "writes, polls go on without being stored, writes are retried after a pause "
            "(up to 30s), and what they detect is detected again once they succeed",
            subject(), committed.error());
        break;
      case FailureRun::Say::summary:
        spdlog::warn(
            "the database still refuses writes after {}: {} poll(s) not stored; "
            "the latest error: {}",
            describe_lasted(store_run.lasted()), store_run.failures(), last_store_error);
        break;
      case FailureRun::Say::quiet:
        if (tried) {
          spdlog::debug("could not store {} ({} in a row): {}", subject(),
                        counters.consecutive_store_errors, committed.error());
        }
        break;
    }
    return false;
  }
  backoff.succeeded();
  const auto lasted = store_run.lasted();
  if (const auto failures = store_run.recovered()) {
    spdlog::info(
        "the database accepts writes again after {}: {} poll(s) were not stored; "
        "what they detected is being detected again",
        describe_lasted(lasted), failures);
  }
  counters.consecutive_store_errors = 0;
  counters.events += write.events.size();
  for (const auto& e : write.events) {
    if (options.metrics) options.metrics->event_recorded(e.kind, e.state);
    log_event(spdlog::level::info,
              {{"OMS", e.oms}, {"PROJECT_ID", e.project_id}, {"EVENT_KIND", e.kind}},
              "event {} {} {} [{}]: {}", e.kind, e.state,
              e.project_id.empty() ? e.oms : e.project_id, e.severity, e.summary);
  }
  if (!write.deliveries.empty() && options.on_committed) options.on_committed();
  return true;
}

std::string Watcher::Impl::oms_route_level(const Oms& o, const Project& current,
                                           const std::string& current_level) {
  std::vector<std::string> levels;
  levels.reserve(o.projects.size());
  for (const auto& [id, q] : o.projects) {
    const std::string& l = q.get() == &current ? current_level : q->state.alarm_level;
    levels.push_back(level_or_medium(l));
  }
  return notifiers::highest_alarm_level(levels);
}

storage::Sample Watcher::Impl::make_sample(const Oms& o, const Project& p, const Observation& obs,
                                           TimePoint now, std::chrono::microseconds latency) {
  storage::Sample s;
  s.oms = o.config.name;
  s.project_id = p.id;
  s.observed_at = to_unix_ms(now);
  s.latency_us = latency.count();
  switch (obs.outcome) {
    case Observation::Outcome::ok: {
      ++counters.polls_ok;
      s.outcome = "ok";
      const auto& pr = obs.progress;
      s.status = pr.status;
      s.alarm_level = pr.alarm_level;
      s.current_step = pr.current_step;
      s.struct_progress = pr.struct_transfer_progress;
      s.full_progress = pr.full_transfer_progress;
      s.incr_checkpoint = pr.incr_sync_checkpoint.raw;
      s.reverse_checkpoint = pr.reverse_incr_transfer_checkpoint.raw;
      const std::int64_t oms_now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                         obs.server_time.value_or(now).time_since_epoch())
                                         .count();
      auto lag = [&](const oms::Checkpoint& c) -> std::optional<std::int64_t> {
        if (!c.unix_seconds) return std::nullopt;
        return oms_now_s - *c.unix_seconds;
      };
      s.incr_lag_s = lag(pr.incr_sync_checkpoint);
      s.reverse_lag_s = lag(pr.reverse_incr_transfer_checkpoint);
      break;
    }
    case Observation::Outcome::unavailable:
      ++counters.polls_unavailable;
      s.outcome = "unavailable";
      s.error = obs.error;
      break;
    case Observation::Outcome::failed:
      ++counters.polls_failed;
      s.outcome = "error";
      s.error = obs.error;
      break;
  }
  return s;
}

// Failing polls are logged per OMS, so that an outage writes a bounded
// number of lines whatever the number of projects: a warning for each of
// the first kProjectLinesPerRun projects that start failing, one line when
// more do, a summary every five minutes while any fails, and one line when
// each logged project (and, after a larger run, every project) recovers.
// Every other failure is a debug line.
void Watcher::Impl::log_poll(Oms& o, Project& p, const Observation& obs) {
  const bool failed = obs.outcome != Observation::Outcome::ok;
  // Almost every poll: a debug line at most, so no journal fields to set up
  // unless it is written.
  if (!failed && !p.last_poll_failed) {
    if (spdlog::should_log(spdlog::level::debug)) {
      LogFieldScope fields({{"OMS", o.config.name}, {"PROJECT_ID", p.id}});
      spdlog::debug("polled project {} on {}: {} {}", p.id, o.config.name, obs.progress.status,
                    obs.progress.current_step);
    }
    return;
  }
  LogFieldScope fields({{"OMS", o.config.name}, {"PROJECT_ID", p.id}});
  if (!failed) {
    poll_recovered(o, p, /*log_project=*/true);
    p.last_poll_failed = false;
    return;
  }
  const auto say = o.poll_run.failed();
  if (!p.last_poll_failed) {
    ++o.projects_failing;
    if (o.projects_logged < kProjectLinesPerRun) {
      ++o.projects_logged;
      p.failure_logged = true;
      spdlog::warn("poll of project {} on {} failed: {}", p.id, o.config.name, obs.error);
    } else if (!o.more_failing_logged) {
      o.more_failing_logged = true;
      spdlog::warn(
          "polls of more projects on {} fail ({} now; the latest, {}: {}); a summary "
          "follows every 5m while they do",
          o.config.name, o.projects_failing, p.id, obs.error);
    } else {
      spdlog::debug("poll of project {} on {} failed: {}", p.id, o.config.name, obs.error);
    }
  } else {
    spdlog::debug("poll of project {} on {} failed again: {}", p.id, o.config.name, obs.error);
  }
  if (say == FailureRun::Say::summary) {
    spdlog::warn(
        "{} of {} project(s) on {} still fail their polls after {} ({} failed polls); "
        "the latest, {}: {}",
        o.projects_failing, o.projects.size(), o.config.name, describe_lasted(o.poll_run.lasted()),
        o.poll_run.failures(), p.id, obs.error);
  }
  p.last_poll_failed = true;
}

void Watcher::Impl::poll_recovered(Oms& o, Project& p, bool log_project) {
  if (o.projects_failing > 0) --o.projects_failing;
  if (p.failure_logged && log_project) {
    spdlog::info("poll of project {} on {} succeeds again", p.id, o.config.name);
  }
  p.failure_logged = false;
  if (o.projects_failing > 0) return;
  const auto lasted = o.poll_run.lasted();
  const auto failures = o.poll_run.recovered();
  if (o.more_failing_logged) {
    spdlog::info("polls of every project on {} succeed again after {} ({} failed polls)",
                 o.config.name, describe_lasted(lasted), failures);
  }
  o.projects_logged = 0;
  o.more_failing_logged = false;
}

}  // namespace omswatch::daemon
