// The daemon's components in-process (the real watcher, detector, store,
// dispatcher and webhook sender) against the simulated OMS: the detection
// catalogue end to end, in real time with short intervals.

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>

#include "config/config.h"
#include "daemon/service.h"
#include "oms/simulator.h"
#include "storage/store.h"
#include "tests/support/io.h"
#include "tests/support/temp_dir.h"
#include "tests/support/webhook_receiver.h"

namespace omswatch {
namespace {

using namespace std::chrono_literals;
using testing::Event;
using testing::IoThread;
using testing::TempDir;
using testing::WebhookReceiver;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

oms::SimProject incr_project(const std::string& id, std::int64_t checkpoint) {
  oms::SimProject p;
  p.name = "name of " + id;
  p.progress.project_id = id;
  p.progress.status = "RUNNING";
  p.progress.alarm_level = "HIGH";
  p.progress.current_step = "INCR_TRANSFER";
  p.progress.enable_incr_sync = true;
  p.progress.enable_full_transfer = true;
  p.progress.full_transfer_progress = 100;
  p.progress.incr_sync_checkpoint = {std::to_string(checkpoint), checkpoint};
  return p;
}

class Detection : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<oms::Simulator>(io_.executor(), "watcher", "pw");
    io_.invoke([&] { sim_->start(0); });
    sim_->on_request([this](std::string_view action, std::string_view project) {
      requests_.update([&] {
        if (action == "DescribeProjectProgress") ++progress_requests_[std::string(project)];
      });
    });
    receiver_ = std::make_unique<WebhookReceiver>(io_);
  }

  void TearDown() override {
    if (service_) io_.invoke([&] { service_->stop(); });
    receiver_.reset();
    io_.invoke([&] { sim_->stop(); });
    io_.stop();
    service_.reset();
  }

  void start(const std::vector<std::string>& projects, const std::string& detect) {
    std::string ids;
    for (const auto& p : projects) ids += (ids.empty() ? "\"" : ", \"") + p + "\"";
    std::string toml = "[daemon]\ndatabase = \"" + dir_.file("w.db") + "\"\nlisten = \"\"\n"
                       "log_level = \"off\"\n"
                       "[[oms]]\nname = \"sim\"\nurl = \"" + sim_->base_url() + "\"\n"
                       "username = \"watcher\"\npassword = \"pw\"\ninterval = \"100ms\"\n"
                       "timeout = \"1s\"\nprojects = [" + ids + "]\n"
                       "[detect]\n" + detect +
                       "[routes.HIGH]\ngroup_wait = \"0s\"\n"
                       "[[receivers]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                       receiver_->url() + "\"\n";
    auto loaded = config::load_string(toml, "test.toml");
    ASSERT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0].to_string());
    auto created = daemon::Service::create(io_.context(), std::move(*loaded.config));
    ASSERT_TRUE(created) << created.error();
    service_ = std::move(*created);
    io_.invoke([&] { service_->start(); });
  }

  // Waits until the simulator answered `n` more progress polls of `project`.
  bool wait_for_polls(const std::string& project, int n) {
    int start = 0;
    {
      std::lock_guard lock(requests_.mutex());
      start = progress_requests_[project];
    }
    return requests_.wait_for([&] { return progress_requests_[project] >= start + n; }, 30s);
  }

  IoThread io_;
  TempDir dir_;
  std::unique_ptr<oms::Simulator> sim_;
  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<daemon::Service> service_;
  Event requests_;
  std::map<std::string, int> progress_requests_;
};

TEST_F(Detection, StallThenResume) {
  const auto checkpoint = now_s();
  sim_->put_project(incr_project("np_s", checkpoint));
  start({"np_s"}, "stall_after = \"1s\"\nmax_lag = \"1h\"\n");

  ASSERT_TRUE(receiver_->wait_for("incr_stalled", "firing", "np_s"));
  ASSERT_TRUE(sim_->update_project("np_s", [&](oms::SimProject& p) {
    p.progress.incr_sync_checkpoint = {std::to_string(checkpoint + 5), checkpoint + 5};
  }));
  ASSERT_TRUE(receiver_->wait_for("incr_stalled", "resolved", "np_s"));
  EXPECT_EQ(receiver_->count("incr_stalled", "firing"), 1u);
  for (const auto& e : receiver_->events()) {
    EXPECT_EQ(e.at("alarm_level").as_string(), "HIGH");
    if (e.at("kind").as_string() == "incr_stalled" && e.at("state").as_string() == "resolved") {
      EXPECT_GE(e.at("details").at("duration_s").as_int64(), 0);
    }
  }
}

TEST_F(Detection, OneAlertForAnOmsOutageWithSeveralProjects) {
  const auto checkpoint = now_s();
  for (const auto* id : {"np_1", "np_2", "np_3"}) sim_->put_project(incr_project(id, checkpoint));
  start({"np_1", "np_2", "np_3"}, "stall_after = \"2s\"\nmax_lag = \"1h\"\nunreachable_after = 2\n");
  ASSERT_TRUE(wait_for_polls("np_3", 2));  // every project has its baseline

  sim_->set_fault(oms::Fault::http_500);
  ASSERT_TRUE(receiver_->wait_for("oms_unreachable", "firing", ""));
  // The projects stay healthy behind the outage: their checkpoints advance.
  for (const auto* id : {"np_1", "np_2", "np_3"}) {
    sim_->update_project(id, [&](oms::SimProject& p) {
      p.progress.incr_sync_checkpoint = {std::to_string(checkpoint + 30), checkpoint + 30};
    });
  }
  // The outage outlasts stall_after (2 s at 100 ms intervals).
  ASSERT_TRUE(wait_for_polls("np_1", 25));
  sim_->set_fault(oms::Fault::none);
  ASSERT_TRUE(receiver_->wait_for("oms_unreachable", "resolved", ""));
  ASSERT_TRUE(wait_for_polls("np_3", 3));  // every project polled again after the outage

  EXPECT_EQ(receiver_->count("oms_unreachable", "firing"), 1u);
  EXPECT_EQ(receiver_->count("oms_unreachable", "resolved"), 1u);
  for (const auto& e : receiver_->events()) {
    EXPECT_EQ(e.at("kind").as_string(), "oms_unreachable") << boost::json::serialize(e);
  }
}

TEST_F(Detection, FailedProjectCarriesItsStepAndAReleasedOneLeaves) {
  sim_->put_project(incr_project("np_f", now_s()));
  sim_->put_project(incr_project("np_other", now_s()));
  start({"np_f", "np_other"}, "");
  ASSERT_TRUE(wait_for_polls("np_f", 2));
  sim_->update_project("np_f", [](oms::SimProject& s) {
    s.progress.status = "FAILED";
    oms::ProjectStep step;
    step.name = "INCR_TRANSFER";
    step.status = "FAILED";
    step.error = {"OMS-CONNECTOR-0042", "sink rejected DDL"};
    s.steps = {step};
  });
  ASSERT_TRUE(receiver_->wait_for("project_failed", "firing", "np_f"));
  sim_->update_project("np_f", [](oms::SimProject& s) { s.progress.status = "RELEASED"; });
  ASSERT_TRUE(receiver_->wait_for("project_removed", "notice", "np_f"));
  ASSERT_TRUE(receiver_->wait_for("project_failed", "resolved", "np_f"));

  // No longer polled, while the other project still is.
  int before = 0;
  {
    std::lock_guard lock(requests_.mutex());
    before = progress_requests_["np_f"];
  }
  ASSERT_TRUE(wait_for_polls("np_other", 5));
  {
    std::lock_guard lock(requests_.mutex());
    EXPECT_LE(progress_requests_["np_f"], before);
  }
  for (const auto& e : receiver_->events()) {
    if (e.at("kind").as_string() == "project_failed" && e.at("state").as_string() == "firing") {
      EXPECT_EQ(e.at("summary").as_string(),
                "np_f FAILED in INCR_TRANSFER: OMS-CONNECTOR-0042 sink rejected DDL");
      EXPECT_EQ(e.at("project_name").as_string(), "name of np_f");
    }
  }
}

}  // namespace
}  // namespace omswatch

namespace omswatch {
namespace {

class Discovery : public Detection {};

TEST_F(Discovery, WatchesWhatOmsListsAndLetsGoOfWhatDisappears) {
  auto a = incr_project("np_d1", now_s());
  a.labels = {"critical"};
  auto b = incr_project("np_d2", now_s());
  b.labels = {"critical", "billing"};
  auto c = incr_project("np_d3", now_s());
  c.labels = {"test"};  // filtered out by label
  auto d = incr_project("np_d4", now_s());
  d.labels = {"critical"};
  d.type = "SYNC";  // filtered out by type
  for (auto* p : {&a, &b, &c, &d}) sim_->put_project(*p);

  std::string toml = "[daemon]\ndatabase = \"" + dir_.file("d.db") + "\"\nlisten = \"\"\n"
                     "[[oms]]\nname = \"sim\"\nurl = \"" + sim_->base_url() + "\"\n"
                     "username = \"watcher\"\npassword = \"pw\"\ninterval = \"100ms\"\n"
                     "discover = true\ndiscover_every = \"200ms\"\n"
                     "discover_types = [\"MIGRATION\"]\ndiscover_labels = [\"critical\"]\n"
                     "[routes.HIGH]\ngroup_wait = \"0s\"\n"
                     "[[receivers]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                     receiver_->url() + "\"\n";
  auto loaded = config::load_string(toml, "discovery.toml");
  ASSERT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0].to_string());
  auto created = daemon::Service::create(io_.context(), std::move(*loaded.config));
  ASSERT_TRUE(created) << created.error();
  service_ = std::move(*created);
  io_.invoke([&] { service_->start(); });

  ASSERT_TRUE(wait_for_polls("np_d1", 2));
  ASSERT_TRUE(wait_for_polls("np_d2", 2));
  EXPECT_EQ(io_.invoke([&] { return service_->watcher().watched_projects(); }), 2u);

  sim_->remove_project("np_d2");
  ASSERT_TRUE(receiver_->wait_for("project_removed", "notice", "np_d2"));
  EXPECT_EQ(io_.invoke([&] { return service_->watcher().watched_projects(); }), 1u);
  {
    std::lock_guard lock(requests_.mutex());
    EXPECT_EQ(progress_requests_.count("np_d3"), 0u);
    EXPECT_EQ(progress_requests_.count("np_d4"), 0u);
  }
}

// The simulator's "full-transfer" storyline at twice real speed: the project
// np_mig_catalog transfers 1,200,000 rows (first estimated at 1,000,000) from
// 1 s to 16 s, verifies from 16 s (differences from 18.75 s) to 22 s, then
// syncs incrementally. OMS's clock (the Date header) follows the story.
class MigrationStory {
 public:
  static constexpr double kScale = 2;
  MigrationStory(IoThread& io, oms::Simulator& sim)
      : sim_(sim), timer_(io.context()), started_(std::chrono::system_clock::now()),
        steady_start_(std::chrono::steady_clock::now()) {
    io.invoke([&] { tick(); });
  }
  ~MigrationStory() { stopped_ = true; }
  void stop(IoThread& io) {
    io.invoke([&] {
      stopped_ = true;
      timer_.cancel();
    });
  }

 private:
  void tick() {
    if (stopped_) return;
    const auto story = std::chrono::duration_cast<std::chrono::milliseconds>(
        (std::chrono::steady_clock::now() - steady_start_) * kScale);
    sim_.set_server_time(started_ + story);
    for (auto& p : oms::migration_projects_at("full-transfer", story, started_)) {
      sim_.put_project(std::move(p));
    }
    timer_.expires_after(20ms);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }

  oms::Simulator& sim_;
  boost::asio::steady_timer timer_;
  std::chrono::system_clock::time_point started_;
  std::chrono::steady_clock::time_point steady_start_;
  bool stopped_ = false;
};

TEST_F(Detection, AFullTransferMeetsItsEtaAndAVerificationWithDifferencesAlertsOnce) {
  MigrationStory story(io_, *sim_);
  start({"np_mig_catalog"},
        "steps_every = \"1s\"\n[routes.MEDIUM]\ngroup_wait = \"0s\"\n");
  ASSERT_TRUE(receiver_->wait_for("verify_mismatch", "firing", "np_mig_catalog"));
  // The verification ends and incremental sync starts (22 s into the story).
  ASSERT_TRUE(receiver_->wait_for("step_changed", "notice", "np_mig_catalog", 30s));
  for (int i = 0; i < 100 && receiver_->count("step_changed", "notice") < 3; ++i) {
    ASSERT_TRUE(wait_for_polls("np_mig_catalog", 1));
  }
  ASSERT_TRUE(wait_for_polls("np_mig_catalog", 20));  // the final verification read is in
  story.stop(io_);

  // One alert, naming the worst table with its counts.
  EXPECT_EQ(receiver_->count("verify_mismatch", "firing"), 1u);
  for (const auto& e : receiver_->events()) {
    if (e.at("kind").as_string() != "verify_mismatch") continue;
    EXPECT_NE(e.at("summary").as_string().find("product_prices"), std::string::npos)
        << boost::json::serialize(e);
    const auto& tables = e.at("details").at("tables").as_array();
    ASSERT_FALSE(tables.empty());
    const auto& worst = tables[0].as_object();
    EXPECT_NE(worst.at("table").as_string().find("product_prices"), std::string::npos);
    EXPECT_EQ(worst.at("source_only").as_int64(), 2);
    EXPECT_EQ(worst.at("dest_only").as_int64(), 1);
    EXPECT_EQ(worst.at("mismatched").as_int64(), 9);
  }

  // The ETA, as stored with each reading of the transfer, against the moment
  // the transfer ended: the first poll that saw the project in FULL_VERIFIER.
  auto store = storage::Store::open(dir_.file("w.db"), storage::OpenMode::read_only);
  ASSERT_TRUE(store) << store.error();
  auto steps = (*store)->step_history("np_mig_catalog", std::nullopt, std::nullopt, 1000);
  ASSERT_TRUE(steps) << steps.error();
  auto samples = (*store)->history("np_mig_catalog", std::nullopt, std::nullopt, 100000);
  ASSERT_TRUE(samples) << samples.error();
  std::optional<storage::TimeMs> ended;
  for (const auto& s : *samples) {
    if (s.current_step == "FULL_VERIFIER") {
      ended = s.observed_at;
      break;
    }
  }
  ASSERT_TRUE(ended) << "the transfer's end was polled";
  int checked = 0;
  for (const auto& row : *steps) {
    const auto& r = row.sample;
    if (r.step != "FULL_TRANSFER" || !r.eta_low_s) continue;
    EXPECT_EQ(r.eta_basis, "records");
    // Readings after OMS revised its estimate (6 s into the run at twice the
    // speed) must hold the end; one poll (100 ms) of slack for when it was seen.
    const storage::TimeMs revised = (*samples).front().observed_at + 6'500;
    if (r.observed_at < revised) continue;
    ++checked;
    EXPECT_LE(r.observed_at + *r.eta_low_s * 1000, *ended + 100)
        << "ETA " << *r.eta_low_s << "-" << *r.eta_high_s << " s at " << r.observed_at;
    EXPECT_GE(r.observed_at + *r.eta_high_s * 1000 + 100, *ended)
        << "ETA " << *r.eta_low_s << "-" << *r.eta_high_s << " s at " << r.observed_at;
  }
  EXPECT_GE(checked, 3) << "readings with an ETA in the last part of the transfer";
}

}  // namespace
}  // namespace omswatch
