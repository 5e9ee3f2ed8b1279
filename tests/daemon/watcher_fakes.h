#pragma once
// Fakes that run the watcher's shell without a socket, a database file or
// the real clock: an OMS whose replies the test scripts, a sink that keeps
// the writes in memory, and a steady clock the test moves by hand.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/observation_sink.h"
#include "daemon/watch_clock.h"
#include "oms/client.h"

namespace omswatch::daemon::test {

// One OMS deployment: its replies, and the calls it got.
struct FakeOms {
  // DescribeProjectProgress of a project; a RUNNING project when unset.
  std::function<oms::CallResult<oms::ProjectProgress>(const std::string& id)> progress;
  std::vector<oms::ProjectSummary> listed;  // ListProjects, one page
  // DescribeProjectSteps and ListProjectFullVerifyResult (one page: the
  // number); an empty success when unset.
  std::function<std::vector<oms::ProjectStep>(const std::string& id)> steps;
  std::function<oms::VerifyResult(const std::string& id, int page)> verify;
  std::map<std::string, int> progress_calls;
  std::map<std::string, int> steps_calls;
  std::map<std::string, int> verify_calls;
  int list_calls = 0;
};

inline oms::CallResult<oms::ProjectProgress> progress_reply(const std::string& id,
                                                            const std::string& status) {
  oms::CallResult<oms::ProjectProgress> call;
  call.reply.success = true;
  call.reply.data.emplace();
  call.reply.data->project_id = id;
  call.reply.data->status = status;
  return call;
}

inline oms::CallResult<oms::ProjectProgress> transport_failure(const std::string& error) {
  oms::CallResult<oms::ProjectProgress> call;
  call.transport_error = error;
  return call;
}

class FakeClient : public oms::Client {
 public:
  explicit FakeClient(std::shared_ptr<FakeOms> oms) : oms_(std::move(oms)) {}

  boost::asio::awaitable<oms::CallResult<oms::ProjectProgress>> describe_progress(
      std::string project_id) override {
    ++oms_->progress_calls[project_id];
    co_return oms_->progress ? oms_->progress(project_id) : progress_reply(project_id, "RUNNING");
  }
  boost::asio::awaitable<oms::CallResult<std::vector<oms::ProjectStep>>> describe_steps(
      std::string project_id) override {
    ++oms_->steps_calls[project_id];
    oms::CallResult<std::vector<oms::ProjectStep>> call;
    call.reply.success = true;
    call.reply.data = oms_->steps ? oms_->steps(project_id) : std::vector<oms::ProjectStep>{};
    co_return call;
  }
  boost::asio::awaitable<oms::CallResult<oms::VerifyResult>> list_full_verify_result(
      std::string project_id, int page, int) override {
    ++oms_->verify_calls[project_id];
    oms::CallResult<oms::VerifyResult> call;
    call.reply.success = true;
    call.reply.data = oms_->verify ? oms_->verify(project_id, page) : oms::VerifyResult{};
    co_return call;
  }
  boost::asio::awaitable<oms::CallResult<oms::ProjectInfo>> describe_project(
      std::string project_id) override {
    oms::CallResult<oms::ProjectInfo> call;
    call.reply.success = true;
    call.reply.data.emplace();
    call.reply.data->id = project_id;
    call.reply.data->name = "name of " + project_id;
    co_return call;
  }
  boost::asio::awaitable<oms::CallResult<oms::ProjectList>> list_projects(oms::ListFilter, int,
                                                                          int) override {
    ++oms_->list_calls;
    oms::CallResult<oms::ProjectList> call;
    call.reply.success = true;
    call.reply.data.emplace();
    call.reply.data->items = oms_->listed;
    co_return call;
  }

 private:
  std::shared_ptr<FakeOms> oms_;
};

// Keeps every write; loads nothing saved.
class MemorySink : public ObservationSink {
 public:
  Expected<void> record(const storage::ObservationWrite& write) override {
    writes.push_back(write);
    return {};
  }
  Expected<std::vector<storage::ProjectState>> load_project_states() override {
    return std::vector<storage::ProjectState>{};
  }
  Expected<std::optional<std::string>> load_oms_state(const std::string&) override {
    return std::optional<std::string>{};
  }

  // The events written so far of `kind` (and `state`, when given).
  std::vector<storage::EventRecord> events(std::string_view kind,
                                           std::string_view state = "") const {
    std::vector<storage::EventRecord> out;
    for (const auto& w : writes) {
      for (const auto& e : w.events) {
        if (e.kind == kind && (state.empty() || e.state == state)) out.push_back(e);
      }
    }
    return out;
  }

  std::vector<storage::ObservationWrite> writes;
};

// A steady clock that moves only when advance() moves it. Its timers wake
// when advance() reaches their time; the test then runs the io_context's
// ready handlers.
class ManualClock : public WatchClock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  explicit ManualClock(time_point start) : now_(start) {}

  time_point now() const override { return now_; }
  std::unique_ptr<WatchTimer> make_timer(boost::asio::any_io_executor executor) override {
    return std::make_unique<Timer>(*this, executor);
  }
  void advance(std::chrono::steady_clock::duration d) {
    now_ += d;
    for (auto it = waits_.begin(); it != waits_.end();) {
      auto w = it->lock();
      if (!w) {
        it = waits_.erase(it);
        continue;
      }
      if (!w->came && w->at <= now_) {
        w->came = true;
        w->signal.cancel();
      }
      ++it;
    }
  }

 private:
  struct Wait {
    Wait(boost::asio::any_io_executor ex, time_point t)
        : signal(ex, boost::asio::steady_timer::time_point::max()), at(t) {}
    boost::asio::steady_timer signal;  // never expires: cancelled to wake the waiter
    time_point at;
    bool came = false;
  };

  class Timer : public WatchTimer {
   public:
    Timer(ManualClock& clock, boost::asio::any_io_executor executor)
        : clock_(clock), executor_(executor) {}
    void cancel() override {
      if (current_) current_->signal.cancel();
    }

   protected:
    void start_wait(time_point at, Handler handler) override {
      if (at <= clock_.now_) {
        boost::asio::post(executor_, [h = std::move(handler)]() mutable {
          std::move(h)(boost::system::error_code{});
        });
        return;
      }
      auto wait = std::make_shared<Wait>(executor_, at);
      clock_.waits_.push_back(wait);
      current_ = wait;
      // The wait ends when advance() or cancel() cancels `signal`, or when
      // the waiter's own cancellation slot does.
      auto slot = boost::asio::get_associated_cancellation_slot(handler);
      wait->signal.async_wait(boost::asio::bind_cancellation_slot(
          slot, [this, wait, h = std::move(handler)](boost::system::error_code) mutable {
            if (current_ == wait) current_.reset();
            std::move(h)(wait->came
                             ? boost::system::error_code{}
                             : boost::system::error_code(boost::asio::error::operation_aborted));
          }));
    }

   private:
    ManualClock& clock_;
    boost::asio::any_io_executor executor_;
    std::shared_ptr<Wait> current_;
  };

  time_point now_;
  std::vector<std::weak_ptr<Wait>> waits_;
};

}  // namespace omswatch::daemon::test
