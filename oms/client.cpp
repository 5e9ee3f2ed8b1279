#include "oms/client.h"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <exception>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "common/redact.h"
#include "net/http_client.h"
#include "oms/basic_auth.h"
#include "oms/http_date.h"
#include "oms/parse.h"

namespace omswatch::oms {
namespace asio = boost::asio;
namespace json = boost::json;
using boost::system::error_code;

namespace {

// What of an error page goes into a message: enough to recognise a proxy's
// "502 Bad Gateway" or a Java stack trace's first line, no more.
constexpr std::size_t kMaxSnippet = 200;
// OMS takes at most this many label ids in a ListProjects filter.
constexpr std::size_t kMaxLabelIds = 5;
constexpr int kMaxPageSize = 150;

std::string describe_duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

std::string describe_size(std::size_t bytes) {
  constexpr std::size_t kKiB = 1024, kMiB = 1024 * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string describe_transport_error(const error_code& ec, const Endpoint& endpoint) {
  if (ec == net::Errc::timeout) return "timed out after " + describe_duration(endpoint.timeout);
  if (ec == net::Errc::response_too_large) {
    return "reply larger than " + describe_size(endpoint.max_reply_bytes);
  }
  if (ec == net::Errc::bad_url) return "bad OMS URL " + net::redact_url(endpoint.base_url);
  if (ec == net::Errc::proxy_refused) return "the proxy refused the connection";
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::connection_reset) return "connection reset";
  if (ec == asio::error::eof || ec == boost::beast::http::error::end_of_stream ||
      ec == boost::beast::http::error::partial_message) {
    return "connection closed before a complete reply";
  }
  if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again) {
    return "host not found";
  }
  if (ec == asio::error::network_unreachable) return "network unreachable";
  if (ec == asio::error::host_unreachable) return "host unreachable";
  if (ec == asio::error::operation_aborted) return "cancelled";
  if (std::string_view(ec.category().name()).find("ssl") != std::string_view::npos) {
    return "TLS error: " + ec.message();
  }
  return ec.message();
}

// A bounded, printable, single-line excerpt of an error page: tags of an
// HTML page dropped, control characters and runs of blanks folded to one
// space, cut at a UTF-8 boundary. Any credential the server echoed is masked
// before the cut, so that no part of one shows either.
std::string body_snippet(std::string_view body, std::string_view content_type,
                         const Redactor& redact) {
  // Enough input for any snippet worth reading, even behind a long HTML head.
  std::string raw = redact(body.substr(0, 64 * 1024));
  const bool html =
      content_type.find("html") != std::string_view::npos || (!raw.empty() && raw.front() == '<');
  std::string out;
  bool in_tag = false;
  bool pending_space = false;
  for (std::size_t i = 0; i < raw.size() && out.size() <= kMaxSnippet; ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (html && c == '<') {
      in_tag = true;
      pending_space = true;
      continue;
    }
    if (in_tag) {
      if (c == '>') in_tag = false;
      continue;
    }
    if (c < 0x20 || c == 0x7f || c == ' ') {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += static_cast<char>(c);
  }
  if (out.size() <= kMaxSnippet) return out;
  out.resize(kMaxSnippet);
  // Do not end in the middle of a UTF-8 sequence.
  std::size_t end = out.size();
  while (end > 0 && (static_cast<unsigned char>(out[end - 1]) & 0xC0) == 0x80) --end;
  if (end > 0 && static_cast<unsigned char>(out[end - 1]) >= 0xC0) out.resize(end - 1);
  return out + "...";
}

std::string describe_status(const net::HttpResponse& response, const Redactor& redact) {
  std::string message = "HTTP " + std::to_string(response.status);
  if (response.status == 401 || response.status == 403) {
    message += " (authentication failed: check the username and password)";
  }
  std::string snippet = body_snippet(response.body, response.header("Content-Type"), redact);
  if (!snippet.empty()) message += ": " + snippet;
  return message;
}

class OmsClient final : public Client {
 public:
  OmsClient(net::HttpClient& http, Endpoint endpoint)
      : http_(http),
        endpoint_(std::move(endpoint)),
        authorization_(basic_authorization(endpoint_.username, endpoint_.password)),
        redact_(url_secrets(endpoint_.base_url)) {
    // What this client sends and a server could echo: the password, and the
    // Basic credentials (base64 of "username:password").
    redact_.add(endpoint_.password);
    redact_.add(endpoint_.username + ":" + endpoint_.password);
    std::string_view base = endpoint_.base_url;
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    const std::string action_url = std::string(base) + "/api/v2?Action=";
    // The URL, the credentials and the headers are the same at every call
    // of an action: checked and serialized once, here (a reload with other
    // credentials makes a new client).
    auto prepare = [&](std::string_view action) {
      net::HttpRequest request;
      request.method = "POST";
      request.url = action_url + std::string(action);
      request.headers = {{"Authorization", authorization_},
                         {"Content-Type", "application/json"},
                         {"Accept", "application/json"}};
      request.timeout = endpoint_.timeout;
      request.max_response_bytes = endpoint_.max_reply_bytes;
      return http_.prepare(request);
    };
    progress_ = prepare("DescribeProjectProgress");
    steps_ = prepare("DescribeProjectSteps");
    project_ = prepare("DescribeProject");
    list_ = prepare("ListProjects");
    verify_ = prepare("ListProjectFullVerifyResult");
  }

  asio::awaitable<CallResult<ProjectProgress>> describe_progress(std::string project_id) override {
    return call<ProjectProgress>(progress_, id_body(project_id), parse_progress_reply);
  }

  asio::awaitable<CallResult<std::vector<ProjectStep>>> describe_steps(
      std::string project_id) override {
    return call<std::vector<ProjectStep>>(steps_, id_body(project_id), parse_project_steps_reply);
  }

  asio::awaitable<CallResult<VerifyResult>> list_full_verify_result(std::string project_id,
                                                                    int page_number,
                                                                    int page_size) override {
    json::object body;
    body["projectId"] = project_id;
    body["pageNumber"] = std::max(page_number, 1);
    body["pageSize"] = std::clamp(page_size, 1, kMaxPageSize);
    co_return co_await call<VerifyResult>(verify_, json::serialize(body),
                                          parse_verify_result_reply);
  }

  asio::awaitable<CallResult<ProjectInfo>> describe_project(std::string project_id) override {
    return call<ProjectInfo>(project_, id_body(project_id), parse_project_reply);
  }

  asio::awaitable<CallResult<ProjectList>> list_projects(ListFilter filter, int page_number,
                                                         int page_size) override {
    if (filter.label_ids.size() > kMaxLabelIds) {
      CallResult<ProjectList> refused;
      refused.transport_error = "ListProjects takes at most " + std::to_string(kMaxLabelIds) +
                                " label ids, got " + std::to_string(filter.label_ids.size());
      co_return refused;
    }
    json::object body;
    body["pageNumber"] = std::max(page_number, 1);
    body["pageSize"] = std::clamp(page_size, 1, kMaxPageSize);
    // OMS filters on one type; several (MIGRATION and SYNC) are every type there is.
    if (filter.types.size() == 1) body["type"] = filter.types.front();
    if (!filter.label_ids.empty()) {
      json::array labels;
      for (const auto& id : filter.label_ids) labels.emplace_back(id);
      body["labelIds"] = std::move(labels);
    }
    co_return co_await call<ProjectList>(list_, json::serialize(body), parse_list_projects_reply);
  }

 private:
  // {"id":"..."}, written directly: the body of a poll.
  static std::string id_body(std::string_view project_id) {
    std::string body = "{\"id\":";
    body += json::serialize(json::string_view(project_id));
    body += '}';
    return body;
  }

  // Every text of a reply, a transport error included, comes out of call()
  // with the credentials masked: OMS or a proxy in front of it may echo them.
  using Prepared = boost::system::result<net::PreparedRequest>;

  template <class T, class Parse>
  asio::awaitable<CallResult<T>> call(const Prepared& action, std::string body, Parse parse) {
    CallResult<T> result = co_await exchange<T>(action, std::move(body), parse);
    scrub(result);
    co_return result;
  }

  void scrub(std::string& text) const { redact_.mask(text); }
  void scrub(ProjectProgress& p) const {
    scrub(p.status);
    scrub(p.alarm_level);
    scrub(p.current_step);
  }
  void scrub(std::vector<ProjectStep>& steps) const {
    for (auto& s : steps) {
      scrub(s.name);
      scrub(s.description);
      scrub(s.status);
      scrub(s.error.error_code);
      scrub(s.error.error_msg);
    }
  }
  void scrub(ProjectInfo& p) const {
    scrub(p.name);
    scrub(p.type);
    scrub(p.importance);
    scrub(p.status);
  }
  void scrub(ProjectList& list) const {
    for (auto& p : list.items) {
      scrub(p.name);
      scrub(p.type);
      scrub(p.status);
      scrub(p.importance);
      for (auto& l : p.labels) scrub(l);
    }
  }
  void scrub(VerifyResult& result) const {
    for (auto& t : result.tables) {
      for (std::string* text : {&t.source_schema, &t.source_table, &t.dest_schema, &t.dest_table,
                                &t.progress, &t.status, &t.message, &t.result_type}) {
        scrub(*text);
      }
    }
  }
  template <class T>
  void scrub(CallResult<T>& result) const {
    if (redact_.empty()) return;
    if (result.transport_error) scrub(*result.transport_error);
    scrub(result.reply.error.code);
    scrub(result.reply.error.message);
    scrub(result.reply.error.advice);
    if (result.reply.data) scrub(*result.reply.data);
  }

  template <class T, class Parse>
  asio::awaitable<CallResult<T>> exchange(const Prepared& action, std::string body, Parse parse) {
    CallResult<T> result;
    const auto started = std::chrono::steady_clock::now();
    if (!action) {
      result.transport_error = describe_transport_error(action.error(), endpoint_);
      co_return result;
    }
    boost::system::result<net::HttpResponse> response = error_code(asio::error::operation_aborted);
    try {
      response = co_await http_.send(*action, std::move(body));
    } catch (const std::exception& e) {
      // The contract is to never throw; the only exceptions here are the
      // caller's cancellation and allocation failures.
      result.latency = elapsed_since(started);
      result.transport_error = std::string("request failed: ") + e.what();
      co_return result;
    }
    result.latency = elapsed_since(started);
    if (!response) {
      result.transport_error = describe_transport_error(response.error(), endpoint_);
      co_return result;
    }
    if (std::string_view date = response->header("Date"); !date.empty()) {
      // The header changes once a second, the polls come by the thousand.
      if (date != last_date_) {
        last_date_.assign(date);
        last_date_value_ = parse_http_date(date);
      }
      result.server_date = last_date_value_;
    }
    if (response->status < 200 || response->status > 299) {
      result.transport_error = describe_status(*response, redact_);
      co_return result;
    }
    Expected<Reply<T>> reply = parse(response->body);
    if (!reply) {
      result.transport_error = reply.error();
      co_return result;
    }
    result.reply = std::move(*reply);
    co_return result;
  }

  static std::chrono::microseconds elapsed_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  }

  net::HttpClient& http_;
  Endpoint endpoint_;
  std::string authorization_;  // a secret: never logged
  Redactor redact_;
  Prepared progress_, steps_, project_, list_, verify_;
  std::string last_date_;  // the last Date header read, and what it says
  std::optional<std::chrono::system_clock::time_point> last_date_value_;
};

}  // namespace

std::unique_ptr<Client> make_client(net::HttpClient& http, Endpoint endpoint) {
  return std::make_unique<OmsClient>(http, std::move(endpoint));
}

}  // namespace omswatch::oms
