// The web console's pages and files on the daemon's HTTP endpoint, over a
// real loopback socket with the real client: routes, content types, caching
// (ETag, 304), security headers, and which paths need the bearer token.

#include "daemon/console_routes.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <string>

#include "common/console_page.h"
#include "daemon/console_assets.h"
#include "daemon/http_api.h"
#include "daemon/metrics.h"
#include "net/http_client.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/io.h"
#include "tests/support/temp_dir.h"

namespace omswatch::daemon {
namespace {

namespace asio = boost::asio;
using SendResult = boost::system::result<net::HttpResponse>;

constexpr const char* kToken = "tok_console_0123456789";

class ConsoleRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = storage::testing::open_store(dir_.file("omswatch.db"));
    HttpApiOptions o;
    o.listen = "127.0.0.1:0";
    o.bearer_token = config::Secret(kToken);
    api_ = std::make_unique<HttpApi>(
        ioc_.get_executor(), metrics_, [] { return HealthReport{}; }, *store_, o);
    auto started = api_->start();
    ASSERT_TRUE(started.has_value()) << started.error();
  }

  net::HttpResponse send(const std::string& target, const std::string& method = "GET",
                         net::Headers headers = {}) {
    net::HttpRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(api_->port()) + target;
    request.headers = std::move(headers);
    auto r = omswatch::testing::run_coro<SendResult>(
        ioc_, [&]() -> asio::awaitable<SendResult> { co_return co_await client_.send(request); });
    if (!r) {
      ADD_FAILURE() << target << ": " << r.error().message();
      return {};
    }
    return *r;
  }

  static void expect_security_headers(const net::HttpResponse& r, const std::string& what) {
    const std::string csp(r.header("Content-Security-Policy"));
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << what << ": " << csp;
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << what << ": " << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << what << ": " << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << what << ": " << csp;
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << what;
    EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer") << what;
  }

  omswatch::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  Metrics metrics_{"9.9.9", [] { return std::chrono::system_clock::now(); }};
  asio::io_context ioc_;
  net::HttpClient client_{ioc_.get_executor()};
  std::unique_ptr<HttpApi> api_;
};

TEST_F(ConsoleRoutesTest, ThePagesServeTheShellWithoutTheToken) {
  std::string first;
  for (const char* target : {"/", "/projects/np_1", "/projects/np%20a%2Fb?oms=prod", "/events",
                             "/events?kind=project_failed", "/?q=orders&level=critical", "/silences"}) {
    auto r = send(target);
    EXPECT_EQ(r.status, 200u) << target;
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8") << target;
    EXPECT_NE(r.body.find("<main id=\"app\">"), std::string::npos) << target;
    EXPECT_NE(r.body.find("data-testid=\"live\""), std::string::npos) << target;
    EXPECT_EQ(r.header("Cache-Control"), "no-cache") << target;
    EXPECT_FALSE(r.header("ETag").empty()) << target;
    expect_security_headers(r, target);
    // Every page is the same shell; a project's page, one level down, has a
    // <base> that points its relative links back at the console's root.
    std::string body = r.body;
    const bool nested = std::string_view(target).starts_with("/projects/");
    const std::string base = "\n<base href=\"../\">";
    const std::size_t at = body.find(base);
    EXPECT_EQ(at != std::string::npos, nested) << target;
    if (at != std::string::npos) body.erase(at, base.size());
    if (first.empty()) first = body;
    EXPECT_EQ(body, first) << target;
  }
  EXPECT_NE(send("/").header("ETag"), send("/projects/np_1").header("ETag"));
  EXPECT_EQ(send("/projects/np_2").header("ETag"), send("/projects/np_1").header("ETag"));
}

// The addresses alerts link to (common/console_page.h, with daemon.public_url
// the endpoint's own address) open the console's pages, whatever the id holds.
TEST_F(ConsoleRoutesTest, TheLinksInAlertsOpenTheirPages) {
  const std::string base = "http://127.0.0.1:" + std::to_string(api_->port());
  const std::string shell = send("/projects/np_1").body;  // a project's page
  for (const char* id : {"np_4w1", "np a/b", "迁移-1", "x)](http://evil.example) <!channel>?#",
                         "..", "%41"}) {
    for (const std::string& public_url : {base, base + "/"}) {
      const std::string url = console_page_url(public_url, "prod", id);
      ASSERT_TRUE(url.starts_with(base + "/projects/")) << url;
      const std::string target = url.substr(base.size());
      auto r = send(target);
      EXPECT_EQ(r.status, 200u) << target;
      EXPECT_EQ(r.body, shell) << target;
    }
  }
  // An OMS-level event links to the overview of its OMS.
  const std::string overview = console_page_url(base, "prod", "");
  EXPECT_EQ(overview, base + "/?oms=prod");
  auto r = send(overview.substr(base.size()));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, send("/").body);
}

TEST_F(ConsoleRoutesTest, TheShellHasNoInlineScriptAndLoadsOnlyItsOwnFiles) {
  const std::string body = send("/").body;
  std::size_t at = 0;
  int scripts = 0;
  while ((at = body.find("<script", at)) != std::string::npos) {
    const std::size_t end = body.find('>', at);
    const std::string tag = body.substr(at, end - at);
    EXPECT_NE(tag.find("src=\"assets/"), std::string::npos) << "inline script: " << tag;
    at = end;
    ++scripts;
  }
  EXPECT_GE(scripts, 2);  // the charting library and the console's module
  EXPECT_EQ(body.find("http://"), std::string::npos);
  EXPECT_EQ(body.find("https://"), std::string::npos) << "nothing is loaded from elsewhere";
}

TEST_F(ConsoleRoutesTest, AssetsHaveTheirContentTypes) {
  struct Case {
    const char* path;
    const char* type;
  };
  for (const Case c : {Case{"/assets/app.js", "text/javascript; charset=utf-8"},
                       Case{"/assets/chart.min.js", "text/javascript; charset=utf-8"},
                       Case{"/assets/style.css", "text/css; charset=utf-8"}}) {
    auto r = send(c.path);
    EXPECT_EQ(r.status, 200u) << c.path;
    EXPECT_EQ(r.header("Content-Type"), c.type) << c.path;
    EXPECT_FALSE(r.body.empty()) << c.path;
    expect_security_headers(r, c.path);
  }
  EXPECT_NE(send("/assets/chart.min.js").body.find("Chart.js v"), std::string::npos)
      << "the charting library is embedded";
}

TEST_F(ConsoleRoutesTest, AnUnchangedFileIsA304WithoutABody) {
  auto first = send("/assets/app.js");
  const std::string etag(first.header("ETag"));
  ASSERT_FALSE(etag.empty());
  EXPECT_TRUE(etag.starts_with('"') && etag.ends_with('"')) << etag;
  EXPECT_EQ(first.header("Cache-Control"), "no-cache");
  for (const std::string& validator :
       {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    auto again = send("/assets/app.js", "GET", {{"If-None-Match", validator}});
    EXPECT_EQ(again.status, 304u) << validator;
    EXPECT_EQ(again.body, "") << validator;
    EXPECT_EQ(again.header("ETag"), etag) << validator;
    expect_security_headers(again, "304");
  }
  auto changed = send("/assets/app.js", "GET", {{"If-None-Match", "\"0000\""}});
  EXPECT_EQ(changed.status, 200u);
  EXPECT_EQ(changed.body, first.body);
  // Each file has its own validator.
  EXPECT_NE(send("/assets/style.css").header("ETag"), etag);
  EXPECT_EQ(send("/", "GET", {{"If-None-Match", std::string(send("/").header("ETag"))}}).status,
            304u);
}

TEST_F(ConsoleRoutesTest, UnknownFilesAre404) {
  for (const char* target : {"/assets/nope.js", "/assets/", "/assets/..%2Fhttp_api.cpp",
                             "/assets/%2e%2e", "/assets/APP.JS"}) {
    auto r = send(target);
    EXPECT_EQ(r.status, 404u) << target;
    expect_security_headers(r, target);
  }
  // Other paths are not the console's: the API's rules apply, the token first.
  for (const char* target : {"/projects/", "/projects/np_1/x", "/eventsx", "/assets/app.js/x"}) {
    EXPECT_EQ(send(target).status, 401u) << target;
  }
}

TEST_F(ConsoleRoutesTest, HeadAnswersLikeGetAndWritesAre405) {
  auto get = send("/assets/style.css");
  auto head = send("/assets/style.css", "HEAD");
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("Content-Length"), std::to_string(get.body.size()));
  EXPECT_EQ(head.header("ETag"), get.header("ETag"));
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    auto r = send("/", method);
    EXPECT_EQ(r.status, 405u) << method;
    EXPECT_EQ(r.header("Allow"), "GET, HEAD") << method;
  }
}

TEST_F(ConsoleRoutesTest, TheDataStillNeedsTheToken) {
  for (const char* target : {"/api/v1/projects", "/api/v1/events", "/api/v1/projects/np_1/history",
                             "/metrics"}) {
    EXPECT_EQ(send(target).status, 401u) << target;
    EXPECT_EQ(send(target, "GET", {{"Authorization", std::string("Bearer ") + kToken}}).status,
              200u)
        << target;
  }
  EXPECT_EQ(send("/").status, 200u);
  EXPECT_EQ(send("/assets/app.js").status, 200u);
}

TEST(ConsoleAssets, StaySmall) {
  // Our own files stay tens of kilobytes; the charting library is the bulk.
  std::size_t own = 0;
  bool chart = false;
  for (const ConsoleAsset& a : console_assets()) {
    if (a.name == "chart.min.js") {
      chart = true;
      EXPECT_LT(a.body.size(), 400u * 1024) << "the minified UMD build is embedded";
      continue;
    }
    own += a.body.size();
  }
  EXPECT_TRUE(chart);
  EXPECT_LT(own, 96u * 1024);
}

}  // namespace
}  // namespace omswatch::daemon

namespace omswatch::daemon {
namespace {

TEST(ConsoleAssets, OurScriptsInsertNoHtml) {
  // Names, summaries and errors come from OMS and are hostile input: the pages
  // build elements and set textContent, never parse HTML.
  int scripts = 0;
  for (const ConsoleAsset& a : console_assets()) {
    if (!a.name.ends_with(".js") || a.name == "chart.min.js") continue;
    ++scripts;
    for (std::string_view sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                                  "eval(", "new Function"}) {
      EXPECT_EQ(a.body.find(sink), std::string_view::npos) << a.name << " uses " << sink;
    }
  }
  EXPECT_GE(scripts, 5);
}

}  // namespace
}  // namespace omswatch::daemon
