#pragma once
// A simulated OMS for tests, the demo and benchmarks: serves
// DescribeProjectProgress, DescribeProjectSteps, DescribeProject,
// ListProjects and ListProjectFullVerifyResult for scripted projects, with
// injectable faults.
// Thread-safe: tests change projects and faults from their own thread while
// the server runs on another.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/model.h"

namespace omswatch::oms {

enum class Fault {
  none,
  http_500,     // HTTP 500 with a short text body
  garbage,      // HTTP 200 with a body that is not JSON
  hang,         // no answer until stop(); after 10 minutes the connection is closed
  api_failure,  // HTTP 200, success:false, code GHANA-OPERAT000001
  reset,        // close the connection without a reply
  huge,         // HTTP 200 with a 20 MiB body (valid JSON)
};
// Faults apply to authorized requests only (a wrong password is always 401).
// A project's fault (set_project_fault) or an Action's (set_action_fault)
// applies when no global one is set.
// Unknown projects get HTTP 200, success:false, code GHANA-PROJECT000001,
// message "the project does not exist" (as OMS answers); an unknown Action
// gets code PARAM_ERROR.

struct SimProject {
  ProjectProgress progress;
  std::string name;  // DescribeProject / ListProjects
  std::string type = "MIGRATION";
  std::vector<std::string> labels;
  std::vector<ProjectStep> steps;  // DescribeProjectSteps
  // ListProjectFullVerifyResult ({"projectId", "pageNumber", "pageSize"},
  // paged like ListProjects); none: no verification yet (no tables).
  std::optional<VerifyResult> verify;
  // When its code is set, every call about this project (progress, steps,
  // project, verification) answers success:false with it; ListProjects
  // still lists it. OMS answers GHANA-OPERIE000000 so while a new project's
  // transfer instance is being created.
  ApiError failure;
};

struct SimStats {
  std::uint64_t progress_requests = 0;
  std::uint64_t steps_requests = 0;
  std::uint64_t list_requests = 0;
  std::uint64_t project_requests = 0;
  std::uint64_t verify_requests = 0;
  std::uint64_t unauthorized = 0;
};

class Simulator {
 public:
  // Answers only requests with HTTP Basic `username:password`; others get 401.
  Simulator(boost::asio::any_io_executor executor, std::string username, std::string password);
  ~Simulator();

  // Binds 127.0.0.1 (port 0: any free port) and starts serving.
  void start(std::uint16_t port = 0);
  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"
  void stop();

  void put_project(SimProject project);                // adds or replaces, by progress.project_id
  void remove_project(const std::string& project_id);  // then: success:false, unknown project
  std::optional<SimProject> project(const std::string& project_id) const;
  // Applies `change` to the stored project under the lock; false if unknown.
  bool update_project(const std::string& project_id,
                      const std::function<void(SimProject&)>& change);

  // A fault for every request, or for one project's progress requests only.
  void set_fault(Fault fault);
  void set_project_fault(const std::string& project_id, Fault fault);
  // A fault for every request of one Action ("DescribeProject"...), when no
  // global one is set.
  void set_action_fault(const std::string& action, Fault fault);
  // The HTTP Date header sent with each reply; nullopt: the system clock.
  void set_server_time(std::optional<std::chrono::system_clock::time_point> t);

  SimStats stats() const;

  // Called for each authorized request once its reply is ready (under the
  // hang fault: once it starts hanging) with the Action and the request's
  // project id ("" when it has none). Runs on the server's executor, outside
  // the simulator's lock, so it may call into the simulator. Tests wait on it
  // instead of sleeping.
  using RequestObserver = std::function<void(std::string_view action, std::string_view project_id)>;
  void on_request(RequestObserver observer);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The scripted lifecycle of `omswatch demo` and `omswatch-sim --scenario demo`:
// at time t since start, the state of each demo project. A pure function of its
// arguments. Checkpoints are counted from `started_at`, the wall-clock time of
// t = 0, so that their lag against the simulator's Date header is real.
//   np_demo_orders  (MIGRATION, MEDIUM): INIT until 5 s; RUNNING STRUCT_TRANSFER
//                   5-15 s; FULL_TRANSFER 15-45 s, progress rising to 100; from
//                   45 s INCR_TRANSFER, checkpoint 3 s behind, alarm level HIGH.
//   np_demo_billing (SYNC, HIGH): RUNNING INCR_SYNC; its checkpoint freezes at
//                   20 s (a stall) and catches up at 70 s.
//   np_demo_audit   (SYNC, MEDIUM): RUNNING INCR_SYNC; FAILED from 25 s, its
//                   INCR_SYNC step failed with ORA-01555 (snapshot too old).
// The story is over by 90 s; later times repeat the state at 90 s, with the
// incremental checkpoints still advancing.
std::vector<SimProject> demo_projects_at(std::chrono::seconds since_start,
                                         std::chrono::system_clock::time_point started_at);
// The same, with t = 0 at a fixed date (2026-01-01T00:00:00Z): for tests of
// the storyline. Its checkpoints are far behind today's clock.
std::vector<SimProject> demo_projects_at(std::chrono::seconds since_start);

// The migration scenarios of omswatch-sim (--scenario NAME), for the demo and
// end-to-end tests of transfer progress, verification and OMS's own faults.
// Times are seconds of simulated time since the start (omswatch-sim
// --time-scale runs it faster or slower); step times are written without a
// zone (UTC), incremental checkpoints 3 s behind a sample taken every 10 s.
//   full-transfer  np_mig_catalog (MIGRATION): STRUCT_TRANSFER 0-2 s;
//                  FULL_TRANSFER 2-32 s at 40,000 rows/s (dstRps 40,000,
//                  dstRpsRef 42,000), capacity first estimated at 1,000,000
//                  and revised to 1,200,000 at 12 s; FULL_VERIFIER 32-44 s at
//                  100,000 rows/s over 6 tables: product_prices finishes at
//                  37.5 s with 12 differences (2 source only, 1 destination
//                  only, 9 mismatched), stock_levels at 43 s with 4
//                  mismatched: differentNumber 12, then 16; from 44 s
//                  INCR_TRANSFER MONITORING.
//   slow-transfer  np_mig_archive: FULL_TRANSFER from 0 s of 5,000,000 rows at
//                  3,000 rows/s against a dstRpsRef of 20,000 (15%), done at
//                  about 1,667 s.
//   transfer-retry np_mig_ledger: FULL_TRANSFER of 1,000,000 rows at 25,000
//                  rows/s; FAILED (project FAILED, GHANA-CONNECT000001) from 10 s
//                  to 25 s, then RUNNING again from where it stopped; done at
//                  55 s.
//   creating       np_mig_fresh: every call about it answers
//                  GHANA-OPERIE000000 (the transfer instance is being created)
//                  until 60 s; then FULL_TRANSFER of 1,500,000 rows at 50,000
//                  rows/s, done at 90 s.
//   migration      all four projects.
// A pure function of its arguments; nothing for an unknown name.
std::vector<SimProject> migration_projects_at(std::string_view scenario,
                                              std::chrono::milliseconds since_start,
                                              std::chrono::system_clock::time_point started_at);
// The names above.
const std::vector<std::string_view>& migration_scenarios();

// `omswatch-sim --scenario static`: `count` projects np_sim_000001...,
// RUNNING INCR_SYNC with the checkpoint 2 s behind `now`, for benchmarks.
std::vector<SimProject> static_projects_at(std::size_t count,
                                           std::chrono::system_clock::time_point now);

}  // namespace omswatch::oms
