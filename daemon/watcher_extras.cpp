// The reads a poll makes beside DescribeProjectProgress (steps and
// verification results) and the project's outlook (ETA and trend).

#include "daemon/watcher_impl.h"

namespace omswatch::daemon {

namespace {

constexpr int kVerifyPageSize = 150;
constexpr int kMaxVerifyPages = 10;  // 1,500 tables: the worst ones are what a message names

std::string call_error(const std::optional<std::string>& transport, const oms::ApiError& api) {
  return transport.value_or(describe_api_error(api));
}

}  // namespace

asio::awaitable<void> Watcher::Impl::read_extras(oms::Client& client, Oms& o, Project& p,
                                                 Observation& obs) {
  const TimePoint now = options.clock();
  o.read_budget.polled(now);
  // steps_every is the same for every alarm level ([detect] only).
  const auto every =
      std::max<std::chrono::milliseconds>(config->detect.steps_every, o.config.interval);
  const ReadPlan plan = plan_extra_reads(p.reads, obs.progress, now, every);
  const bool failed_step = needs_failed_step(p.state, obs.progress);
  ReadPlan done;

  // The reason of a failure is read at once, budget or not: it is one call
  // per failure, and the alert waits for it.
  if (failed_step || (plan.steps && o.read_budget.take())) {
    auto steps = co_await client.describe_steps(p.id);
    if (!steps.ok() || !steps.reply.data) {
      const std::string why = call_error(steps.transport_error, steps.reply.error);
      if (failed_step) {
        spdlog::warn("project {} on {} FAILED; its steps could not be read: {}", p.id,
                     o.config.name, why);
      } else {
        spdlog::debug("the steps of project {} on {} could not be read: {}", p.id, o.config.name,
                      why);
      }
    } else {
      const auto& list = *steps.reply.data;
      if (failed_step) obs.failed_step = choose_failed_step(list);
      if (plan.steps) {
        obs.transfer_step = transfer_step_of(list, obs.progress.current_step);
        done.steps = true;
      }
      for (const auto& s : list) {
        if (is_full_verify_step(s.name)) p.verify_step = std::make_unique<oms::ProjectStep>(s);
      }
    }
  }
  if (plan.verify && o.read_budget.take()) {
    obs.verify = co_await read_verification(client, o, p.id);
    if (obs.verify) {
      done.verify = true;
      obs.verify_finished = verification_ended(
          p.verify_step ? std::optional(*p.verify_step) : std::nullopt, obs.progress.current_step);
    }
  }
  read_done(p.reads, done, now);
}

asio::awaitable<std::optional<oms::VerifyResult>> Watcher::Impl::read_verification(
    oms::Client& client, Oms& o, const std::string& id) {
  std::optional<oms::VerifyResult> result;
  for (int page = 1; page <= kMaxVerifyPages; ++page) {
    // Every page after the first is a call of its own, within the budget.
    if (page > 1 && !o.read_budget.take()) break;
    auto call = co_await client.list_full_verify_result(id, page, kVerifyPageSize);
    if (!call.ok() || !call.reply.data) {
      spdlog::debug("the verification results of project {} on {} could not be read: {}", id,
                    o.config.name, call_error(call.transport_error, call.reply.error));
      break;
    }
    auto& data = *call.reply.data;
    const std::size_t got = data.tables.size();
    if (!result) {
      result = std::move(data);
    } else {
      for (auto& table : data.tables) result->tables.push_back(std::move(table));
      if (!result->different_number) result->different_number = data.different_number;
      result->total_tables = std::max(result->total_tables, data.total_tables);
    }
    // A short page is the last, as is a page that brings nothing.
    if (got < static_cast<std::size_t>(kVerifyPageSize) ||
        static_cast<std::int64_t>(result->tables.size()) >= result->total_tables) {
      break;
    }
  }
  co_return result;
}

void Watcher::Impl::update_outlook(Project& p, Observation& obs, const storage::Sample& sample,
                                   TimePoint now, const DetectThresholds& thresholds,
                                   Duration interval) {
  if (obs.outcome != Observation::Outcome::ok) return;
  const oms::ProjectProgress& progress = obs.progress;
  const bool running = is_running_status(progress.status);
  const std::string& step = progress.current_step;

  // The readings come every steps_every (never faster than the poll): the
  // ETA's spans follow that cadence.
  const EtaSpans spans = eta_spans(std::max<Duration>(thresholds.steps_every, interval));
  if (obs.transfer_step && obs.transfer_step->status == "RUNNING") {
    const oms::ProjectStep& s = *obs.transfer_step;
    std::optional<int> percent = s.progress;
    if (!percent && is_full_transfer_step(s.name)) percent = progress.full_transfer_progress;
    remember_transfer(p.history, s.name,
                      {now, s.transfer.processed_records, s.transfer.capacity, percent},
                      spans.spacing);
  }
  const bool transferring = running && (is_full_transfer_step(step) || is_full_verify_step(step)) &&
                            p.history.transfer_step == step;
  obs.outlook.eta = transferring ? estimate_eta(p.history.transfer, now, spans) : std::nullopt;

  if (running && sample.incr_lag_s) {
    remember_lag(p.history, {now, std::chrono::seconds(*sample.incr_lag_s)});
    obs.outlook.trend = lag_trend(p.history.lag, thresholds.max_lag, now);
  } else {
    forget_lag(p.history);
    obs.outlook.trend.reset();
  }
}

}  // namespace omswatch::daemon
