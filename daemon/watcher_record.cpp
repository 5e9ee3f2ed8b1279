#include "daemon/watcher_impl.h"

namespace omswatch::daemon {

void Watcher::Impl::record(Oms& o, Project& p, Observation& obs,
                           std::chrono::microseconds latency) {
  const TimePoint now = options.clock();
  const bool ok = obs.outcome == Observation::Outcome::ok;
  // The route (and its thresholds) of the level the project has now.
  std::string level = level_or_medium(
      ok && !obs.progress.alarm_level.empty() ? obs.progress.alarm_level : p.state.alarm_level);
  const DetectThresholds thresholds = thresholds_for(*config, level);
  storage::Sample sample = make_sample(o.config.name, p.id, obs, now, latency);
  update_outlook(p, obs, sample, now, thresholds,
                 std::chrono::duration_cast<Duration>(o.config.interval));
  ProjectDetection det = detect(p.state, p.id, obs, now, thresholds);
  if (obs.outlook.eta) add_eta(det.findings, *obs.outlook.eta);
  const std::optional<std::string> gone = removal_reason(obs);
  if (gone) finish_project(p.id, det.state, *gone, now, det.findings);

  // The OMS's route walks all its projects: it matters only while its polls
  // fail or it is unreachable (a success of a reachable OMS finds nothing).
  std::string oms_level = obs.outcome == Observation::Outcome::failed || o.state.unreachable
                              ? oms_route_level(project_levels(o, &p, det.state.alarm_level))
                              : std::string("MEDIUM");
  OmsDetection oms_det =
      detect_oms(o.state, o.config.name, obs.outcome != Observation::Outcome::failed, obs.error,
                 o.projects.size(), now, thresholds_for(*config, oms_level));

  storage::ObservationWrite write;
  write.now = to_unix_ms(now);
  write.oms = o.config.name;
  write.project_id = p.id;
  write.sample = std::move(sample);
  write.step_sample = make_step_sample(obs, now);
  const bool outlook_due =
      ok && outlook_write_due(p.outlook_written, p.outlook_written_at, obs.outlook, now,
                              write.step_sample.has_value());
  if (outlook_due) write.outlook_json = outlook_json(obs.outlook);
  if (obs.verify) write.verify = make_verify_record(*obs.verify, obs.verify_finished, det.state, now);
  switch (obs.outcome) {
    case Observation::Outcome::ok: ++counters.polls_ok; break;
    case Observation::Outcome::unavailable: ++counters.polls_unavailable; break;
    case Observation::Outcome::failed: ++counters.polls_failed; break;
  }
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
      p.metrics.set_outlook(obs.outlook);
      // The throughput while a transfer step runs; gone once it is over.
      if (write.step_sample) {
        p.metrics.set_step(write.step_sample->step_status == "RUNNING" ? &*write.step_sample
                                                                       : nullptr);
      } else if (!obs.outlook.eta) {
        p.metrics.set_step(nullptr);
      }
      if (write.verify) p.metrics.set_verify(&*write.verify);
    }
  }
  if (!commit(write)) {
    // Keep the previous state: the next poll detects the same events again,
    // so nothing is lost while the database refuses writes.
    p.state = std::move(previous);
    return;
  }
  if (outlook_due) {
    p.outlook_written = obs.outlook;
    p.outlook_written_at = now;
  }
  o.state = std::move(oms_det.state);
  if (write.oms_state_json) o.state_json = std::move(*write.oms_state_json);
  if (gone) remove_project(o, p.id, "");
}

void Watcher::Impl::add_events(storage::ObservationWrite& write, const Oms& o, const Project& p,
                               const std::vector<Finding>& findings,
                               const std::string& progress_json) {
  const EventSubject subject{o.config.name, p.id, p.name, level_or_medium(p.state.alarm_level),
                             progress_json};
  for (const auto& f : findings) add_event(write, *config, subject, f, new_event_id());
}

void Watcher::Impl::add_oms_events(storage::ObservationWrite& write, const Oms& o,
                                   const std::string& level, const std::vector<Finding>& findings) {
  const EventSubject subject{o.config.name, "", "", level, "{}"};
  for (const auto& f : findings) add_event(write, *config, subject, f, new_event_id());
}

bool Watcher::Impl::commit(const storage::ObservationWrite& write) {
  WriteBackoff& backoff = *options.write_backoff;
  // What was not stored, for the log: only built when a write fails.
  const auto subject = [&] {
    return write.project_id.empty()
               ? "the listing of OMS " + write.oms
               : "the poll of project " + write.project_id + " on " + write.oms;
  };
  const auto now = steady_now();
  const bool tried = backoff.may_write(now);
  Expected<void> committed = tried ? sink.record(write) : Expected<void>(make_error("skipped"));
  if (!committed) {
    if (options.metrics) options.metrics->database_write_failed();
    ++counters.store_errors;
    ++counters.consecutive_store_errors;
    if (tried) {
      backoff.failed(now);
      last_store_error = committed.error();
    } else {
      ++counters.store_skipped;
    }
    switch (store_run.failed(now)) {
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
            describe_lasted(store_run.lasted(now)), store_run.failures(), last_store_error);
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
  const auto lasted = store_run.lasted(now);
  if (const auto failures = store_run.recovered(now)) {
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

std::vector<std::string> Watcher::Impl::project_levels(const Oms& o, const Project* current,
                                                       const std::string& current_level) {
  std::vector<std::string> levels;
  levels.reserve(o.projects.size());
  for (const auto& [id, q] : o.projects) {
    levels.push_back(q.get() == current ? current_level : q->state.alarm_level);
  }
  return levels;
}

// Writes the lines PollFailureLog decides (poll_log.h).
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
  const auto now = steady_now();
  const auto say = o.poll_log.failed(p.last_poll_failed, now);
  if (say.again) {
    spdlog::debug("poll of project {} on {} failed again: {}", p.id, o.config.name, obs.error);
  } else if (say.line == PollFailureLog::Line::own_warning) {
    p.failure_logged = true;
    spdlog::warn("poll of project {} on {} failed: {}", p.id, o.config.name, obs.error);
  } else if (say.line == PollFailureLog::Line::more_failing) {
    spdlog::warn(
        "polls of more projects on {} fail ({} now; the latest, {}: {}); a summary "
        "follows every 5m while they do",
        o.config.name, o.poll_log.failing(), p.id, obs.error);
  } else {
    spdlog::debug("poll of project {} on {} failed: {}", p.id, o.config.name, obs.error);
  }
  if (say.summary) {
    spdlog::warn(
        "{} of {} project(s) on {} still fail their polls after {} ({} failed polls); "
        "the latest, {}: {}",
        o.poll_log.failing(), o.projects.size(), o.config.name,
        describe_lasted(o.poll_log.lasted(now)), o.poll_log.failures(), p.id, obs.error);
  }
  p.last_poll_failed = true;
}

void Watcher::Impl::poll_recovered(Oms& o, Project& p, bool log_project) {
  if (p.failure_logged && log_project) {
    spdlog::info("poll of project {} on {} succeeds again", p.id, o.config.name);
  }
  p.failure_logged = false;
  const auto run = o.poll_log.recovered(steady_now());
  if (run.every_project) {
    spdlog::info("polls of every project on {} succeed again after {} ({} failed polls)",
                 o.config.name, describe_lasted(run.lasted), run.failures);
  }
}

}  // namespace omswatch::daemon
