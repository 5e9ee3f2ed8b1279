#pragma once
// A loopback stand-in for a chat platform or Alertmanager, and what the
// channel tests share: sample events, an injected clock and environment,
// and HMAC/base64 computed with OpenSSL directly (never with the code under test).

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "common/console_page.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "notifiers/sender.h"
#include "tests/support/io.h"

namespace omswatch::notifiers::test {

using namespace std::chrono_literals;

inline std::chrono::system_clock::time_point at_unix(std::int64_t secs) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(secs));
}

inline Event failed_event() {
  Event e;
  e.id = "evt_failed";
  e.kind = "project_failed";
  e.state = "firing";
  e.severity = Severity::critical;
  e.oms = "prod";
  e.project_id = "np_4w1";
  e.project_name = "orders-to-ob";
  e.link = "https://oms.example.internal/project/np_4w1";
  e.alarm_level = "HIGH";
  e.summary = "np_4w1 FAILED in INCR_TRANSFER: ORA-01555 snapshot too old";
  e.observed_at = at_unix(1'800'000'000);
  e.details_json = R"({"status":"FAILED","step":"INCR_TRANSFER","failed_step":"INCR_TRANSFER",)"
                   R"("error_code":"ORA-01555","error_message":"snapshot too old"})";
  e.progress_json =
      R"({"projectId":"np_4w1","status":"FAILED","currentStep":"INCR_TRANSFER",)"
      R"("structTransferProgress":100,"fullTransferProgress":100,"incrSyncCheckpoint":1799999000})";
  return e;
}

inline Event lagging_event(std::string state = "firing") {
  Event e;
  e.id = "evt_lag_" + state;
  e.kind = "incr_lagging";
  e.state = state;
  e.severity = Severity::warning;
  e.oms = "prod";
  e.project_id = "np_4w2";
  e.alarm_level = "MEDIUM";
  e.observed_at = at_unix(1'800'000'600);
  if (state == "resolved") {
    e.summary = "np_4w2 incremental lag is back to 20s after 10m";
    e.details_json = R"({"lag_s":20,"max_lag_s":600,"duration_s":600})";
  } else {
    e.summary = "np_4w2 incremental sync lags 12m 5s (over 10m)";
    e.details_json = R"({"lag_s":725,"max_lag_s":600})";
  }
  e.progress_json = R"({"status":"RUNNING","currentStep":"INCR_TRANSFER"})";
  return e;
}

// A warning raised while a full transfer runs: its details carry the ETA
// (a range in seconds), the rate and the ETA's basis.
inline Event slow_transfer_event() {
  Event e;
  e.id = "evt_slow";
  e.kind = "full_transfer_slow";
  e.state = "firing";
  e.severity = Severity::warning;
  e.oms = "prod";
  e.project_id = "np_4w3";
  e.alarm_level = "LOW";
  e.summary = "np_4w3 full transfer writes 8,000 rows/s, under half its baseline";
  e.observed_at = at_unix(1'800'000'900);
  e.details_json = R"({"dst_rps":8000,"dst_rps_ref":17000,"eta":{"low_s":1500,"high_s":1860},)"
                   R"("rate":12300.4,"eta_basis":"records"})";
  e.progress_json =
      R"({"status":"RUNNING","currentStep":"FULL_TRANSFER","fullTransferProgress":41})";
  return e;
}

inline Event status_notice() {
  Event e;
  e.id = "evt_status";
  e.kind = "status_changed";
  e.state = "notice";
  e.severity = Severity::info;
  e.oms = "prod";
  e.project_id = "np_4w3";
  e.alarm_level = "LOW";
  e.summary = "np_4w3 status RUNNING -> FINISHED";
  e.observed_at = at_unix(1'800'000'100);
  e.details_json = R"({"from":"RUNNING","to":"FINISHED"})";
  return e;
}

// The console behind a reverse proxy, under a path: daemon.public_url.
inline constexpr std::string_view kPublicUrl = "https://ops.example.com/omswatch/";

// `e` as the daemon sends it when daemon.public_url is set.
inline Event on_console(Event e) {
  e.omswatch_url = console_page_url(kPublicUrl, e.oms, e.project_id);
  return e;
}

// The console page of failed_event().
inline const std::string kFailedPage = std::string(kPublicUrl) + "projects/np_4w1?oms=prod";

// A project id that every chat dialect would read as a link, a mention or a
// tag, were it not encoded, and the console page it gets.
inline constexpr std::string_view kHostileId =
    "np)](http://evil.example/a) <!channel> <b>|x\"[y]@all";
inline const std::string kHostilePage =
    std::string(kPublicUrl) +
    "projects/"
    "np%29%5D%28http%3A%2F%2Fevil.example%2Fa%29%20%3C%21channel%3E%20%3Cb%3E%7Cx%22%5By%5D"
    "%40all?oms=prod";

// failed_event() of a project with kHostileId, on the console.
inline Event hostile_id_event() {
  Event e = failed_event();
  e.link.clear();
  e.project_id = std::string(kHostileId);
  e.summary = "np FAILED";
  e.progress_json = "{}";
  return on_console(std::move(e));
}

// A group of `n` events with summaries of about 2 * `summary_chars` CJK
// characters (3 bytes each), so that cuts would fall inside code points.
inline std::vector<Event> huge_group(std::size_t n, std::size_t summary_chars = 400) {
  std::vector<Event> events;
  for (std::size_t i = 0; i < n; ++i) {
    Event e = i % 3 == 0 ? failed_event() : lagging_event();
    e.id = "evt_" + std::to_string(i);
    e.project_id = "np_" + std::to_string(i);
    e.summary = "np_" + std::to_string(i) + " ";
    for (std::size_t k = 0; k < summary_chars; ++k) e.summary += "迁移";
    events.push_back(std::move(e));
  }
  return events;
}

// UTF-8 validity, checked without the code under test.
inline bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

inline std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

inline std::string openssl_hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

inline std::string openssl_base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// "a%2Bb" -> "a+b" (no '+' as space: query values here are percent-encoded).
inline std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The query parameters of a request target, values as written (still encoded).
inline std::map<std::string, std::string> raw_query(std::string_view target) {
  std::map<std::string, std::string> out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    out[std::string(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

// A loopback platform answering every request with `answer`.
struct FakePlatform {
  boost::asio::io_context ioc;
  net::HttpClient http{ioc.get_executor()};
  std::vector<net::ServerRequest> requests;
  net::ServerResponse answer{200, "application/json", {}, R"({"errcode":0,"errmsg":"ok"})", false};
  net::HttpServer server{
      ioc.get_executor(),
      [this](net::ServerRequest r) -> boost::asio::awaitable<net::ServerResponse> {
        requests.push_back(std::move(r));
        co_return reply ? reply(requests.back()) : answer;
      }};
  // When set, answers instead of `answer` (a platform that echoes the request).
  std::function<net::ServerResponse(const net::ServerRequest&)> reply;
  std::chrono::system_clock::time_point now = at_unix(1'800'000'000) + 123ms;
  std::map<std::string, std::string> env;

  FakePlatform() { server.listen("127.0.0.1", 0); }
  ~FakePlatform() { server.stop(); }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }

  config::Receiver receiver(std::string type, std::string path_and_query,
                            std::string secret = "") const {
    config::Receiver r;
    r.name = "team";
    r.type = std::move(type);
    r.url = config::Secret(base_url() + path_and_query);
    r.secret = config::Secret(std::move(secret));
    r.timeout = 5s;
    return r;
  }

  SenderContext context() {
    SenderContext ctx;
    ctx.http = &http;
    ctx.now = [this] { return now; };
    ctx.env = [this](std::string_view name) -> std::optional<std::string> {
      auto it = env.find(std::string(name));
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return ctx;
  }

  std::unique_ptr<Sender> make(const config::Receiver& r) {
    auto sender = make_sender(r, context());
    if (!sender) throw std::runtime_error(sender.error());
    return std::move(*sender);
  }

  DeliveryOutcome send(Sender& sender, std::vector<Event> events) {
    return testing::run_coro<DeliveryOutcome>(
        ioc, [&]() { return sender.send(events, "msg_0123456789abcdef_7"); });
  }

  DeliveryOutcome send(const config::Receiver& r, std::vector<Event> events) {
    auto sender = make(r);
    return send(*sender, std::move(events));
  }

  const net::ServerRequest& last() const {
    if (requests.empty()) throw std::runtime_error("the platform got no request");
    return requests.back();
  }
  boost::json::value last_json() const { return boost::json::parse(last().body); }
};

}  // namespace omswatch::notifiers::test
