#pragma once
// A simulated OMS for tests, the demo and benchmarks: serves
// DescribeProjectProgress, DescribeProjectSteps, DescribeProject and
// ListProjects for scripted projects, with injectable faults.
// Thread-safe: tests change projects and faults from their own thread while
// the server runs on another.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "oms/model.h"

namespace omswatch::oms {

enum class Fault {
  none,
  http_500,       // HTTP 500 with a short text body
  garbage,        // HTTP 200 with a body that is not JSON
  hang,           // never answer (until the client gives up or the server stops)
  api_failure,    // HTTP 200, success:false, code GHANA-OPERAT000001
  reset,          // close the connection without a reply
  huge,           // HTTP 200 with a 20 MiB body
};

struct SimProject {
  ProjectProgress progress;
  std::string name;                 // DescribeProject / ListProjects
  std::string type = "MIGRATION";
  std::vector<std::string> labels;
  std::vector<ProjectStep> steps;   // DescribeProjectSteps
};

struct SimStats {
  std::uint64_t progress_requests = 0;
  std::uint64_t steps_requests = 0;
  std::uint64_t list_requests = 0;
  std::uint64_t project_requests = 0;
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

  void put_project(SimProject project);  // adds or replaces, by progress.project_id
  void remove_project(const std::string& project_id);  // then: success:false, unknown project
  std::optional<SimProject> project(const std::string& project_id) const;
  // Applies `change` to the stored project under the lock; false if unknown.
  bool update_project(const std::string& project_id,
                      const std::function<void(SimProject&)>& change);

  // A fault for every request, or for one project's progress requests only.
  void set_fault(Fault fault);
  void set_project_fault(const std::string& project_id, Fault fault);
  // The HTTP Date header sent with each reply; nullopt: the system clock.
  void set_server_time(std::optional<std::chrono::system_clock::time_point> t);

  SimStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The scripted lifecycle of `omswatch demo` and `omswatch-sim --scenario demo`:
// at time t since start, the state of each demo project (one completes its full
// transfer and runs incremental sync, one stalls, one fails).
std::vector<SimProject> demo_projects_at(std::chrono::seconds since_start);

}  // namespace omswatch::oms
