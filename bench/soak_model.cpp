#include "bench/soak_model.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>

namespace omswatch::bench::soak {
namespace {

// The value of a track at one instant of the check grid: what the daemon's
// announcements must show once it has held, observable, for `settle`.
struct Value {
  bool observable = false;  // the daemon could see it (up, no fault on the project)
  bool known = false;       // the rules give one answer (not a hysteresis gap)
  std::string value;        // a status, or "1"/"0" for a condition (firing or not)
  std::string key;          // what makes a run: the value and, for a stall, which freeze
  TimeMs settle = 0;        // how long it must hold before the view must show it
};

std::string fmt_time(TimeMs t, TimeMs origin) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+%.1fs", static_cast<double>(t - origin) / 1000.0);
  return buf;
}

template <class T>
const T* at_time(const std::vector<T>& changes, TimeMs t) {
  auto it = std::upper_bound(changes.begin(), changes.end(), t,
                             [](TimeMs v, const T& c) { return v < c.at; });
  if (it == changes.begin()) return nullptr;
  return &*std::prev(it);
}

oms::Fault fault_at(const std::vector<FaultChange>& changes, TimeMs t) {
  const FaultChange* c = at_time(changes, t);
  return c ? c->fault : oms::Fault::none;
}

bool failing(oms::Fault f) { return f != oms::Fault::none && f != oms::Fault::api_failure; }

// The view of one track as the receiver's events tell it: a time-ordered list
// of (observed_at, value).
struct View {
  std::vector<std::pair<TimeMs, std::string>> changes;
  std::string initial;
  const std::string& at(TimeMs t) const {
    auto it = std::upper_bound(changes.begin(), changes.end(), t,
                               [](TimeMs v, const auto& c) { return v < c.first; });
    return it == changes.begin() ? initial : std::prev(it)->second;
  }
};

struct TrackDef {
  std::string name;
  std::string kind;  // the event kind announcing it
  std::function<Value(TimeMs)> value_at;
};

}  // namespace

bool is_running(const std::string& status) {
  return status == "RUNNING" || status == "RUNNING_MODIFYING" || status == "RUNNING_MERGING";
}

std::string to_string(oms::Fault fault) {
  switch (fault) {
    case oms::Fault::none:
      return "none";
    case oms::Fault::http_500:
      return "http_500";
    case oms::Fault::garbage:
      return "garbage";
    case oms::Fault::hang:
      return "hang";
    case oms::Fault::api_failure:
      return "api_failure";
    case oms::Fault::reset:
      return "reset";
    case oms::Fault::huge:
      return "huge";
  }
  return "?";
}

Verdict check(const Truth& truth, const std::vector<Event>& events,
              const std::vector<Delivery>& deliveries,
              const std::vector<std::string>& pending_outbox, const Rules& rules) {
  Verdict v;
  const TimeMs origin = truth.runs.empty() ? 0 : truth.runs.front().spawned;
  auto t = [&](TimeMs at) { return fmt_time(at, origin); };

  // --- deliveries: duplicates, unknown and undelivered events
  std::map<std::string, const Event*> by_id;
  for (const auto& e : events) by_id[e.id] = &e;
  v.events = events.size();
  std::map<std::string, std::vector<TimeMs>> received;
  for (const auto& d : deliveries) {
    ++v.deliveries;
    for (const auto& id : d.event_ids) {
      ++v.event_deliveries;
      received[id].push_back(d.received_at);
    }
  }
  std::vector<TimeMs> kills;
  for (const auto& r : truth.runs) {
    if (r.killed) kills.push_back(r.ended);
  }
  for (auto& [id, times] : received) {
    std::sort(times.begin(), times.end());
    if (!by_id.count(id)) {
      ++v.unknown;
      v.errors.push_back({"unknown event", id + " received but not in the database"});
    }
    for (std::size_t i = 1; i < times.size(); ++i) {
      const TimeMs first = times[i - 1];
      const bool in_flight = std::any_of(kills.begin(), kills.end(), [&](TimeMs k) {
        return first <= k && k - first <= rules.in_flight_window && times[i] >= k;
      });
      if (in_flight) {
        ++v.duplicates_in_flight;
      } else {
        ++v.duplicates_unexplained;
        v.errors.push_back({"unexplained duplicate", id + " delivered again at " + t(times[i]) +
                                                         " (before at " + t(first) + ")"});
      }
    }
  }
  for (const auto& e : events) {
    if (auto it = received.find(e.id); it != received.end()) {
      v.delivery_latency.push_back(it->second.front() - e.observed_at);
    }
  }
  std::set<std::string> pending(pending_outbox.begin(), pending_outbox.end());
  for (const auto& e : events) {
    if (!received.count(e.id) || pending.count(e.id)) {
      ++v.undelivered;
      v.errors.push_back(
          {"undelivered",
           e.id + " " + e.kind + " " + e.state + " " + e.project_id + " observed at " +
               t(e.observed_at) +
               (received.count(e.id) ? " (received, outbox not delivered)" : " (never received)")});
    }
  }

  // --- the daemon's lives
  std::vector<std::pair<TimeMs, TimeMs>> up;  // polling windows
  for (const auto& r : truth.runs) {
    if (r.first_request) {
      v.startup.push_back(*r.first_request - r.spawned);
      up.emplace_back(*r.first_request, r.ended);
    }
  }
  auto is_up = [&](TimeMs at) {
    return std::any_of(up.begin(), up.end(),
                       [&](const auto& w) { return at >= w.first && at < w.second; });
  };

  // Only delivered events make the receiver's view, in the order they were observed.
  std::vector<const Event*> seen;
  for (const auto& e : events) {
    if (received.count(e.id)) seen.push_back(&e);
  }
  std::stable_sort(seen.begin(), seen.end(),
                   [](const Event* a, const Event* b) { return a->observed_at < b->observed_at; });

  const TimeMs settle_status = rules.interval + rules.margin;
  const TimeMs settle_stall = rules.stall_after + 2 * rules.interval + rules.margin;
  const TimeMs settle_unavailable = (rules.unavailable_after + 1) * rules.interval + rules.margin;
  const TimeMs settle_unreachable = (rules.unreachable_after + 2) * rules.interval + rules.margin;
  const TimeMs grid_from = truth.runs.empty() ? 0 : truth.runs.front().spawned;

  // A project's hang blocks its poll loop (and a global hang every loop, since
  // hanging polls hold the in-flight slots) until the client's timeout.
  using Spans = std::vector<std::pair<TimeMs, TimeMs>>;
  auto hang_spans = [&](const std::vector<FaultChange>& changes) {
    Spans spans;
    for (std::size_t i = 0; i < changes.size(); ++i) {
      if (changes[i].fault != oms::Fault::hang) continue;
      TimeMs end = i + 1 < changes.size() ? changes[i + 1].at : truth.end;
      spans.emplace_back(changes[i].at, end + rules.timeout + rules.interval);
    }
    return spans;
  };
  auto within = [](const Spans& spans, TimeMs at) {
    return std::any_of(spans.begin(), spans.end(),
                       [&](const auto& s) { return at >= s.first && at < s.second; });
  };
  const Spans global_hangs = hang_spans(truth.global_faults);

  // Runs one track over the grid and classifies its runs.
  auto run_track = [&](const std::string& project, const TrackDef& def, const View& view) {
    TrackFigures& fig = v.tracks[def.name];
    std::string run_key;
    bool run_observable = false;
    TimeMs run_start = grid_from;
    struct RunCheck {
      bool checked = false, transition = false, any_pass = false, any_fail = false,
           failed_after_pass = false;
      TimeMs required_from = 0, first_pass = 0, first_fail = 0, last_fail = 0;
      std::string expected, seen_value;
    } rc;
    auto close_run = [&](TimeMs end) {
      if (!rc.checked) return;
      const std::string where = (project.empty() ? std::string("OMS") : project) + " " + def.name;
      if (rc.transition) {
        ++fig.transitions;
        if (!rc.any_fail) {
          ++fig.notified;
        } else if (!rc.any_pass) {
          ++fig.missed;
          v.errors.push_back({"missed", where + ": " + rc.expected + " held from " + t(run_start) +
                                            " to " + t(end) + " (required from " +
                                            t(rc.required_from) +
                                            "), never announced; the "
                                            "receiver's view was " +
                                            rc.seen_value});
        } else if (!rc.failed_after_pass) {
          ++fig.late;
          v.notes.push_back({"late", where + ": " + rc.expected + " from " + t(run_start) +
                                         " announced " +
                                         std::to_string(rc.first_pass - rc.required_from) +
                                         " ms after its settle time"});
        }
      } else {
        ++fig.steady_checks;
      }
      if (rc.failed_after_pass || (!rc.transition && rc.any_fail)) {
        ++fig.contradicted;
        v.errors.push_back({"contradicted", where + ": " + rc.expected + " held from " +
                                                t(run_start) + " to " + t(end) +
                                                ", but the receiver's view was " + rc.seen_value +
                                                " at " + t(rc.first_fail)});
      }
      // Time to detect after a restart: the run began with a restart and the
      // daemon had to announce it.
      if (rc.transition && rc.any_pass) {
        for (const auto& r : truth.runs) {
          if (&r == &truth.runs.front() || !r.first_request || run_start < *r.first_request ||
              run_start >= *r.first_request + rules.step) {
            continue;
          }
          for (const auto& [at, value] : view.changes) {
            if (at >= run_start && value == rc.expected) {
              v.detect_after_restart.push_back(at - r.spawned);
              break;
            }
          }
        }
      }
    };
    for (TimeMs w = grid_from; w < truth.end; w += rules.step) {
      Value val = def.value_at(w);
      const bool observable = val.observable && val.known;
      const std::string key = observable ? val.key : std::string();
      if (key != run_key || observable != run_observable) {
        close_run(w);
        rc = RunCheck{};
        run_key = key;
        run_observable = observable;
        // A run that starts where the daemon could see the change only from
        // now on (after a fault or a restart) starts now too.
        run_start = w;
      }
      if (!observable || w - run_start < val.settle) continue;
      const std::string& shown = view.at(w);
      if (!rc.checked) {
        rc.checked = true;
        rc.required_from = w;
        rc.expected = val.value;
        // A transition: before the run began, the receiver had been told otherwise.
        rc.transition = view.at(run_start - 1) != val.value;
      }
      if (shown == val.value) {
        if (!rc.any_pass) rc.first_pass = w;
        rc.any_pass = true;
      } else {
        if (!rc.any_fail) {
          rc.first_fail = w;
          rc.seen_value = shown;
        }
        if (rc.any_pass) rc.failed_after_pass = true;
        rc.any_fail = true;
        rc.last_fail = w;
      }
    }
    close_run(truth.end);
  };

  // --- per project
  for (const auto& project : truth.projects) {
    const auto& served = truth.served.at(project);
    static const std::vector<FaultChange> kNoFaults;
    auto pf = truth.project_faults.find(project);
    const auto& own_faults = pf == truth.project_faults.end() ? kNoFaults : pf->second;
    auto effective_fault = [&](TimeMs at) {
      oms::Fault g = fault_at(truth.global_faults, at);
      return g != oms::Fault::none ? g : fault_at(own_faults, at);
    };
    const Spans own_hangs = hang_spans(own_faults);
    auto blocked = [&](TimeMs at) { return within(own_hangs, at) || within(global_hangs, at); };
    auto state_at = [&](TimeMs at) -> const Served& {
      const Served* s = at_time(served, at);
      return s ? *s : served.front();
    };
    auto ok_observable = [&](TimeMs at) {
      return is_up(at) && effective_fault(at) == oms::Fault::none && !blocked(at);
    };
    auto lag_s = [&](const Served& s, TimeMs at) -> std::int64_t {
      switch (s.incr) {
        case IncrMode::advancing:
          return kAdvancingLagS;
        case IncrMode::lagging:
          return kLaggingLagS;
        case IncrMode::frozen:
          return at / 1000 - s.frozen_checkpoint;
      }
      return 0;
    };
    auto flag = [](bool b) { return std::string(b ? "1" : "0"); };

    std::vector<TrackDef> defs;
    defs.push_back({"status", "status_changed", [&](TimeMs at) {
                      const Served& s = state_at(at);
                      return Value{ok_observable(at), true, s.status, s.status, settle_status};
                    }});
    defs.push_back(
        {"project_failed", "project_failed", [&](TimeMs at) {
           bool holds = state_at(at).status == "FAILED";
           return Value{ok_observable(at), true, flag(holds), flag(holds), settle_status};
         }});
    defs.push_back(
        {"project_suspended", "project_suspended", [&](TimeMs at) {
           bool holds = state_at(at).status == "SUSPEND";
           return Value{ok_observable(at), true, flag(holds), flag(holds), settle_status};
         }});
    defs.push_back({"incr_stalled", "incr_stalled", [&](TimeMs at) {
                      const Served& s = state_at(at);
                      if (is_running(s.status) && s.incr == IncrMode::frozen) {
                        return Value{ok_observable(at), true, "1", "1#" + std::to_string(s.freeze),
                                     settle_stall};
                      }
                      return Value{ok_observable(at), true, "0", "0", settle_status};
                    }});
    defs.push_back({"incr_lagging", "incr_lagging", [&](TimeMs at) {
                      const Served& s = state_at(at);
                      const std::int64_t lag = lag_s(s, at) * 1000;
                      Value val{ok_observable(at), true, "0", "0", settle_status};
                      if (!is_running(s.status)) return val;
                      if (lag > rules.max_lag + 2000) {
                        val.value = val.key = "1";
                      } else if (lag * 5 >= rules.max_lag * 4 - 2000 * 5) {
                        val.known = false;  // between the clearing and firing thresholds
                      }
                      return val;
                    }});
    defs.push_back({"project_unavailable", "project_unavailable", [&](TimeMs at) {
                      oms::Fault f = effective_fault(at);
                      bool observable = is_up(at) && !blocked(at) &&
                                        (f == oms::Fault::none || f == oms::Fault::api_failure);
                      bool holds = f == oms::Fault::api_failure;
                      return Value{observable, true, flag(holds), flag(holds),
                                   holds ? settle_unavailable : settle_status};
                    }});

    // The receiver's view of each track, from the delivered events.
    std::map<std::string, View> views;
    for (const auto& d : defs)
      views[d.kind].initial = d.kind == "status_changed" ? served.front().status : std::string("0");
    for (const Event* e : seen) {
      if (e->project_id != project) continue;
      auto it = views.find(e->kind);
      if (it == views.end()) continue;
      View& view = it->second;
      const std::string& before = view.changes.empty() ? view.initial : view.changes.back().second;
      std::string after;
      if (e->kind == "status_changed") {
        after = e->to;
        if (e->from != before) {
          ++v.inconsistent;
          v.errors.push_back({"inconsistent", project + " status_changed " + e->id + " from " +
                                                  e->from + " at " + t(e->observed_at) +
                                                  ", but the last announced status was " + before});
        }
      } else {
        after = e->state == "firing" ? "1" : "0";
        if (after == before) {
          ++v.inconsistent;
          v.errors.push_back({"inconsistent", project + " " + e->kind + " " + e->state + " " +
                                                  e->id + " at " + t(e->observed_at) +
                                                  " while it was already " +
                                                  (after == "1" ? "firing" : "resolved")});
        }
      }
      view.changes.emplace_back(e->observed_at, after);

      // A status announcement must match a status OMS served shortly before.
      std::optional<std::string> must;
      bool negate = false;
      if (e->kind == "status_changed") must = e->to;
      if (e->kind == "project_failed") must = "FAILED", negate = e->state != "firing";
      if (e->kind == "project_suspended") must = "SUSPEND", negate = e->state != "firing";
      if (must) {
        bool explained = false;
        for (TimeMs at = e->observed_at - 3000; at <= e->observed_at + 200; at += 50) {
          if ((state_at(at).status == *must) != negate) explained = true;
        }
        if (!explained) {
          ++v.false_events;
          v.errors.push_back({"false event", project + " " + e->kind + " " + e->state + " " +
                                                 e->id + " at " + t(e->observed_at) +
                                                 " while OMS served " +
                                                 state_at(e->observed_at).status});
        }
      }
    }
    for (const auto& d : defs) run_track(project, d, views[d.kind]);
  }

  // --- the OMS as a whole
  {
    auto g_blocked = [&](TimeMs at) { return within(global_hangs, at); };
    TrackDef def{"oms_unreachable", "oms_unreachable", [&](TimeMs at) {
                   oms::Fault f = fault_at(truth.global_faults, at);
                   bool observable = is_up(at) && !g_blocked(at) && f != oms::Fault::hang;
                   bool holds = failing(f);
                   return Value{observable, true, holds ? "1" : "0", holds ? "1" : "0",
                                holds ? settle_unreachable : settle_status};
                 }};
    View view;
    view.initial = "0";
    for (const Event* e : seen) {
      if (e->kind != "oms_unreachable") continue;
      std::string after = e->state == "firing" ? "1" : "0";
      const std::string& before = view.changes.empty() ? view.initial : view.changes.back().second;
      if (after == before) {
        ++v.inconsistent;
        v.errors.push_back({"inconsistent", "oms_unreachable " + e->state + " " + e->id + " at " +
                                                t(e->observed_at) + " twice in a row"});
      }
      view.changes.emplace_back(e->observed_at, after);
    }
    run_track("", def, view);
  }
  return v;
}

}  // namespace omswatch::bench::soak
