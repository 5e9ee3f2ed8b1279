#include "oms/simulator.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "common/percent.h"
#include "net/http_server.h"
#include "oms/basic_auth.h"
#include "oms/http_date.h"
#include "oms/sim_json.h"

namespace omswatch::oms {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kProgressAction = "DescribeProjectProgress";
constexpr std::string_view kStepsAction = "DescribeProjectSteps";
constexpr std::string_view kProjectAction = "DescribeProject";
constexpr std::string_view kListAction = "ListProjects";
constexpr std::string_view kVerifyAction = "ListProjectFullVerifyResult";
// A hanging request gives up eventually so that a client that went away does
// not pin a coroutine for the simulator's whole life.
constexpr std::chrono::minutes kMaxHang{10};
constexpr std::size_t kHugeBytes = 20 * 1024 * 1024;
constexpr int kMaxPageSize = 150;

// What the handler decided, taken under the lock and acted upon outside it.
struct Decision {
  Fault fault = Fault::none;
  std::string request_id;
  std::string date;
};

// The value of `name` in the query of `target` ("/api/v2?Action=X&..."), or nullopt.
std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq), true) == name) {
      return eq == std::string_view::npos ? std::string()
                                          : percent_decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

struct Paging {
  std::int64_t page_number = 0;
  std::int64_t page_size = 0;
  std::int64_t total_count = 0;
};

// The envelope of the reference example, every key present.
std::string envelope(bool success, json::value data, const std::string& request_id,
                     std::chrono::steady_clock::time_point started,
                     const std::optional<Paging>& paging = std::nullopt, json::object error = {}) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  json::object o;
  o["success"] = success;
  o["errorDetail"] = success ? json::value(nullptr) : json::value(error);
  o["code"] = success ? json::value(nullptr) : error["code"];
  o["message"] = success ? json::value(nullptr) : error["message"];
  o["advice"] = success ? json::value(nullptr) : error["proposal"];
  o["requestId"] = request_id;
  o["pageNumber"] = paging ? json::value(paging->page_number) : json::value(nullptr);
  o["pageSize"] = paging ? json::value(paging->page_size) : json::value(nullptr);
  o["totalCount"] = paging ? json::value(paging->total_count) : json::value(nullptr);
  o["cost"] = std::to_string(ms) + " ms";
  o["data"] = std::move(data);
  return json::serialize(o);
}

json::object api_error(std::string code, std::string message, std::string reason,
                       std::string proposal) {
  return json::object{{"code", std::move(code)},
                      {"level", "ERROR"},
                      {"message", std::move(message)},
                      {"reason", std::move(reason)},
                      {"proposal", std::move(proposal)}};
}

net::ServerResponse json_response(unsigned status, std::string body, const std::string& date) {
  net::ServerResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.headers.push_back({"Date", date});
  r.body = std::move(body);
  return r;
}

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64() && it->value().get_uint64() < 1'000'000'000) {
    return static_cast<std::int64_t>(it->value().get_uint64());
  }
  return std::nullopt;
}

std::string string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string())
                                                  : std::string();
}

}  // namespace

struct Simulator::Impl {
  Impl(asio::any_io_executor ex, std::string user, std::string pass)
      : executor(std::move(ex)), username(std::move(user)), password(std::move(pass)) {}

  asio::any_io_executor executor;
  const std::string username;
  const std::string password;

  mutable std::mutex mu;
  std::map<std::string, SimProject> projects;  // by id: ListProjects pages in id order
  Fault fault = Fault::none;
  std::map<std::string, Fault> project_faults;
  std::map<std::string, Fault, std::less<>> action_faults;
  std::optional<std::chrono::system_clock::time_point> server_time;
  SimStats stats;
  RequestObserver observer;
  std::uint64_t requests = 0;
  std::unique_ptr<net::HttpServer> server;
  std::uint16_t port = 0;

  std::string date_header() const {
    return format_http_date(server_time.value_or(std::chrono::system_clock::now()));
  }

  static asio::awaitable<net::ServerResponse> handle(std::weak_ptr<Impl> weak,
                                                     net::ServerRequest request);
  // The answer to an authorized, fault-free request. REQUIRES: mu held.
  net::ServerResponse answer(std::string_view action, const std::string& id,
                             const json::object& body, const Decision& d,
                             std::chrono::steady_clock::time_point started) const;
};

asio::awaitable<net::ServerResponse> Simulator::Impl::handle(std::weak_ptr<Impl> weak,
                                                             net::ServerRequest request) {
  const auto started = std::chrono::steady_clock::now();
  std::shared_ptr<Impl> self = weak.lock();
  if (!self) {
    net::ServerResponse gone;
    gone.drop_connection = true;
    co_return gone;
  }

  Decision d;
  {
    std::lock_guard lock(self->mu);
    d.date = self->date_header();
    char id[32];
    std::snprintf(id, sizeof id, "sim-%08llx", static_cast<unsigned long long>(++self->requests));
    d.request_id = id;
  }

  std::string_view target = request.target;
  std::string_view path = target.substr(0, target.find('?'));
  if (path != "/api/v2" && path != "/api/v2/") {
    co_return json_response(404,
                            envelope(false, nullptr, d.request_id, started, std::nullopt,
                                     api_error("NOT_FOUND", "no such path", std::string(path),
                                               "use POST /api/v2?Action=...")),
                            d.date);
  }
  if (!basic_authorization_matches(request.header("Authorization"), self->username,
                                   self->password)) {
    {
      std::lock_guard lock(self->mu);
      ++self->stats.unauthorized;
    }
    auto r = json_response(401,
                           envelope(false, nullptr, d.request_id, started, std::nullopt,
                                    api_error("UNAUTHORIZED", "authentication required",
                                              "missing or wrong HTTP Basic credentials",
                                              "check the username and password")),
                           d.date);
    r.headers.push_back({"WWW-Authenticate", "Basic realm=\"OMS\""});
    co_return r;
  }
  if (request.method != "POST") {
    auto r = json_response(
        405,
        envelope(false, nullptr, d.request_id, started, std::nullopt,
                 api_error("PARAM_ERROR", "method not allowed", request.method, "use POST")),
        d.date);
    r.headers.push_back({"Allow", "POST"});
    co_return r;
  }

  const std::string action = query_param(target, "Action").value_or("");
  json::object body;
  {
    boost::system::error_code ec;
    json::value parsed =
        request.body.empty() ? json::value(json::object{}) : json::parse(request.body, ec);
    if (ec || !parsed.is_object()) {
      co_return json_response(
          200,
          envelope(false, nullptr, d.request_id, started, std::nullopt,
                   api_error("PARAM_ERROR", "request body is not a JSON object", "", "")),
          d.date);
    }
    body = std::move(parsed.get_object());
  }
  const std::string id =
      string_field(body, action == kVerifyAction ? std::string_view("projectId") : "id");

  net::ServerResponse response;
  RequestObserver observer;
  {
    std::lock_guard lock(self->mu);
    if (action == kProgressAction) {
      ++self->stats.progress_requests;
    } else if (action == kStepsAction) {
      ++self->stats.steps_requests;
    } else if (action == kProjectAction) {
      ++self->stats.project_requests;
    } else if (action == kListAction) {
      ++self->stats.list_requests;
    } else if (action == kVerifyAction) {
      ++self->stats.verify_requests;
    }
    d.fault = self->fault;
    if (d.fault == Fault::none) {
      if (auto it = self->action_faults.find(action); it != self->action_faults.end()) {
        d.fault = it->second;
      }
    }
    if (d.fault == Fault::none && action == kProgressAction) {
      if (auto it = self->project_faults.find(id); it != self->project_faults.end()) {
        d.fault = it->second;
      }
    }
    if (d.fault == Fault::none) response = self->answer(action, id, body, d, started);
    observer = self->observer;
  }

  switch (d.fault) {
    case Fault::none:
      break;
    case Fault::http_500:
      response = json_response(500, "Internal Server Error\n", d.date);
      response.content_type = "text/plain; charset=utf-8";
      break;
    case Fault::garbage:
      response = json_response(200, "<html><body>OMS is starting up...", d.date);
      break;
    case Fault::api_failure:
      response = json_response(
          200,
          envelope(false, nullptr, d.request_id, started, std::nullopt,
                   api_error("GHANA-OPERAT000001", "the CM service may be not available",
                             "connection to CM refused", "check the CM service")),
          d.date);
      break;
    case Fault::reset:
      response.drop_connection = true;
      break;
    case Fault::huge: {
      std::string huge = R"({"success":true,"requestId":")" + d.request_id + R"(","padding":")";
      huge.append(kHugeBytes, 'x');
      huge += "\"}";
      response = json_response(200, std::move(huge), d.date);
      break;
    }
    case Fault::hang: {
      // Only stop() (terminal cancellation of this coroutine) or the cap ends it;
      // the simulator itself must not be held alive meanwhile.
      self.reset();
      if (observer) observer(action, id);
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(kMaxHang);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      net::ServerResponse gone;
      gone.drop_connection = true;
      co_return gone;
    }
  }
  self.reset();
  if (observer) observer(action, id);
  co_return response;
}

net::ServerResponse Simulator::Impl::answer(std::string_view action, const std::string& id,
                                            const json::object& body, const Decision& d,
                                            std::chrono::steady_clock::time_point started) const {
  auto failure = [&](std::string code, std::string message, std::string reason,
                     std::string proposal) {
    return json_response(200,
                         envelope(false, nullptr, d.request_id, started, std::nullopt,
                                  api_error(std::move(code), std::move(message), std::move(reason),
                                            std::move(proposal))),
                         d.date);
  };
  // ListProjects and ListProjectFullVerifyResult: pageNumber >= 1, pageSize 1..150.
  auto bad_paging = [&] {
    return failure("PARAM_ERROR", "invalid paging",
                   "pageNumber must be >= 1 and pageSize 1.." + std::to_string(kMaxPageSize),
                   "fix the request");
  };

  if (action == kListAction) {
    const std::int64_t page_number = int_field(body, "pageNumber").value_or(1);
    const std::int64_t page_size = int_field(body, "pageSize").value_or(10);
    if (page_number < 1 || page_size < 1 || page_size > kMaxPageSize) return bad_paging();
    const std::string type = string_field(body, "type");
    const std::string status = string_field(body, "status");
    const std::string search = string_field(body, "searchKey");
    std::vector<std::string> label_ids;
    if (auto it = body.find("labelIds"); it != body.end() && it->value().is_array()) {
      for (const auto& v : it->value().get_array()) {
        if (v.is_string()) label_ids.emplace_back(v.get_string());
      }
    }
    json::array items;
    std::int64_t matched = 0;
    const std::int64_t first = (page_number - 1) * page_size;
    for (const auto& [pid, p] : projects) {
      if (!type.empty() && p.type != type) continue;
      if (!status.empty() && p.progress.status != status) continue;
      if (!search.empty() && pid.find(search) == std::string::npos &&
          p.name.find(search) == std::string::npos) {
        continue;
      }
      if (!label_ids.empty() &&
          std::none_of(p.labels.begin(), p.labels.end(), [&](const std::string& name) {
            return std::find(label_ids.begin(), label_ids.end(), label_id(name)) != label_ids.end();
          })) {
        continue;
      }
      if (matched >= first && matched < first + page_size) items.push_back(project_json(p));
      ++matched;
    }
    return json_response(200,
                         envelope(true, std::move(items), d.request_id, started,
                                  Paging{page_number, page_size, matched}),
                         d.date);
  }

  if (action != kProgressAction && action != kStepsAction && action != kProjectAction &&
      action != kVerifyAction) {
    return failure("PARAM_ERROR",
                   action.empty() ? "the Action parameter is missing"
                                  : "unknown Action '" + std::string(action) + "'",
                   "",
                   "use one of DescribeProjectProgress, DescribeProjectSteps, "
                   "DescribeProject, ListProjects, ListProjectFullVerifyResult");
  }
  if (id.empty()) {
    if (action == kVerifyAction) {
      return failure("PARAM_ERROR", "projectId is required", "",
                     "send {\"projectId\": \"np_...\"}");
    }
    return failure("PARAM_ERROR", "id is required", "", "send {\"id\": \"np_...\"}");
  }
  auto it = projects.find(id);
  if (it == projects.end()) {
    return failure("GHANA-PROJECT000001", "the project does not exist", "no project with id " + id,
                   "check the project id");
  }
  const SimProject& p = it->second;
  if (!p.failure.code.empty()) {
    return failure(p.failure.code, p.failure.message, "", p.failure.advice);
  }
  json::value data;
  if (action == kVerifyAction) {
    const std::int64_t page_number = int_field(body, "pageNumber").value_or(1);
    const std::int64_t page_size = int_field(body, "pageSize").value_or(10);
    if (page_number < 1 || page_size < 1 || page_size > kMaxPageSize) return bad_paging();
    const std::int64_t total = p.verify ? static_cast<std::int64_t>(p.verify->tables.size()) : 0;
    return json_response(
        200,
        envelope(true, verify_json(p.verify, (page_number - 1) * page_size, page_size),
                 d.request_id, started, Paging{page_number, page_size, total}),
        d.date);
  }
  if (action == kProgressAction) {
    data = progress_json(p.progress);
  } else if (action == kStepsAction) {
    data = steps_json(p.steps);
  } else {
    data = project_json(p);
  }
  return json_response(200, envelope(true, std::move(data), d.request_id, started), d.date);
}

Simulator::Simulator(asio::any_io_executor executor, std::string username, std::string password)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(username), std::move(password))) {
}

Simulator::~Simulator() { stop(); }

void Simulator::start(std::uint16_t port) {
  std::weak_ptr<Impl> weak = impl_;
  auto server = std::make_unique<net::HttpServer>(
      impl_->executor,
      [weak](net::ServerRequest request) { return Impl::handle(weak, std::move(request)); });
  server->listen("127.0.0.1", port);
  std::lock_guard lock(impl_->mu);
  if (impl_->server) throw std::logic_error("Simulator::start called twice");
  impl_->port = server->port();
  impl_->server = std::move(server);
}

std::uint16_t Simulator::port() const {
  std::lock_guard lock(impl_->mu);
  return impl_->port;
}

std::string Simulator::base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }

void Simulator::stop() {
  net::HttpServer* server = nullptr;
  {
    std::lock_guard lock(impl_->mu);
    server = impl_->server.get();
  }
  // Outside the lock: stopping wakes handlers, which take it.
  if (server) server->stop();
}

void Simulator::put_project(SimProject project) {
  std::lock_guard lock(impl_->mu);
  std::string id = project.progress.project_id;
  impl_->projects.insert_or_assign(std::move(id), std::move(project));
}

void Simulator::remove_project(const std::string& project_id) {
  std::lock_guard lock(impl_->mu);
  impl_->projects.erase(project_id);
}

std::optional<SimProject> Simulator::project(const std::string& project_id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->projects.find(project_id);
  if (it == impl_->projects.end()) return std::nullopt;
  return it->second;
}

bool Simulator::update_project(const std::string& project_id,
                               const std::function<void(SimProject&)>& change) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->projects.find(project_id);
  if (it == impl_->projects.end()) return false;
  change(it->second);
  // The id is the key: a change of it would orphan the entry.
  it->second.progress.project_id = project_id;
  return true;
}

void Simulator::set_fault(Fault fault) {
  std::lock_guard lock(impl_->mu);
  impl_->fault = fault;
}

void Simulator::set_project_fault(const std::string& project_id, Fault fault) {
  std::lock_guard lock(impl_->mu);
  if (fault == Fault::none) {
    impl_->project_faults.erase(project_id);
  } else {
    impl_->project_faults[project_id] = fault;
  }
}

void Simulator::set_action_fault(const std::string& action, Fault fault) {
  std::lock_guard lock(impl_->mu);
  if (fault == Fault::none) {
    impl_->action_faults.erase(action);
  } else {
    impl_->action_faults[action] = fault;
  }
}

void Simulator::set_server_time(std::optional<std::chrono::system_clock::time_point> t) {
  std::lock_guard lock(impl_->mu);
  impl_->server_time = t;
}

SimStats Simulator::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

void Simulator::on_request(RequestObserver observer) {
  std::lock_guard lock(impl_->mu);
  impl_->observer = std::move(observer);
}

}  // namespace omswatch::oms
