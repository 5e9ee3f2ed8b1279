#pragma once
// Shared by the oms tests: one io_context on the test thread that runs the
// simulator, the HTTP client and the test's coroutines.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "net/http_client.h"
#include "oms/client.h"
#include "oms/simulator.h"
#include "tests/support/io.h"

namespace omswatch::oms::testing {

namespace asio = boost::asio;

inline constexpr const char* kUser = "watcher";
inline constexpr const char* kPassword = "s3cret-Pa55word";

// A project with every field of the reference example set.
inline SimProject full_project(const std::string& id) {
  SimProject p;
  p.name = "orders " + id;
  p.type = "MIGRATION";
  p.labels = {"prod", "payments"};
  ProjectProgress& pr = p.progress;
  pr.project_id = id;
  pr.status = "RUNNING";
  pr.alarm_level = "MEDIUM";
  pr.current_step = "INCR_TRANSFER";
  pr.enable_incr_sync = true;
  pr.enable_struct_transfer = true;
  pr.enable_full_transfer = true;
  pr.enable_reverse_incr_transfer = true;
  pr.struct_transfer_progress = 100;
  pr.full_transfer_progress = 100;
  pr.incr_sync_checkpoint = {"1689248064", 1689248064};
  pr.reverse_incr_transfer_checkpoint = {"1689248075", 1689248075};
  ProjectStep precheck;
  precheck.order = 1;
  precheck.name = "TRANSFER_PRECHECK";
  precheck.description = "Pre-check";
  precheck.status = "FINISHED";
  precheck.progress = 100;
  ProjectStep incr;
  incr.order = 2;
  incr.name = "INCR_TRANSFER";
  incr.description = "Incremental synchronization";
  incr.status = "FAILED";
  incr.error = {"ORA-01555", "snapshot too old"};
  p.steps = {precheck, incr};
  return p;
}

class OmsTest : public ::testing::Test {
 protected:
  OmsTest() : sim_(ioc_.get_executor(), kUser, kPassword), http_(ioc_.get_executor()) {
    sim_.start(0);
  }

  Endpoint endpoint(std::string password = kPassword) const {
    Endpoint e;
    e.name = "test";
    e.base_url = sim_.base_url();
    e.username = kUser;
    e.password = std::move(password);
    e.timeout = std::chrono::seconds(10);
    return e;
  }

  template <class T>
  T run(std::function<asio::awaitable<T>()> make) {
    return omswatch::testing::run_coro<T>(ioc_, std::move(make));
  }

  CallResult<ProjectProgress> progress(Client& client, const std::string& id) {
    return run<CallResult<ProjectProgress>>([&] { return client.describe_progress(id); });
  }

  asio::io_context ioc_;
  Simulator sim_;
  net::HttpClient http_;
};

}  // namespace omswatch::oms::testing
