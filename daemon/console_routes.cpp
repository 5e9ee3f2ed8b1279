#include "daemon/console_routes.h"

#include <algorithm>

#include "common/ascii.h"
#include "daemon/console_assets.h"

namespace omswatch::daemon {
namespace {

constexpr std::string_view kShell = "index.html";

const ConsoleAsset* find_asset(std::string_view name) {
  const auto assets = console_assets();
  auto it = std::find_if(assets.begin(), assets.end(),
                         [&](const ConsoleAsset& a) { return a.name == name; });
  return it == assets.end() ? nullptr : &*it;
}

// If-None-Match: "*", or a comma-separated list of entity tags, weak (W/"...")
// or strong; a weak comparison, as RFC 9110 asks for this header.
bool etag_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view tag = trim_blanks(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

}  // namespace

const net::Headers& console_security_headers() {
  static const net::Headers headers = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
  };
  return headers;
}

bool is_console_route(const std::vector<std::string>& seg) {
  // "/" is one empty segment.
  if (seg.size() == 1) return seg[0].empty() || seg[0] == "events" || seg[0] == "silences";
  if (seg.size() == 2) return seg[0] == "assets" || (seg[0] == "projects" && !seg[1].empty());
  return false;
}

net::ServerResponse console_response(const net::ServerRequest& request,
                                     const std::vector<std::string>& seg) {
  net::ServerResponse r;
  r.headers = console_security_headers();
  const ConsoleAsset* asset = find_asset(seg[0] == "assets" ? std::string_view(seg[1]) : kShell);
  if (asset == nullptr) {
    r.status = 404;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "no such file\n";
    return r;
  }
  // The shell's links are relative, so that the console works under a
  // reverse proxy's path too; a project's page, one level down, gets a <base>
  // that points them back at the console's root (and its own validator).
  const bool nested = seg[0] == "projects";
  std::string etag(asset->etag);
  if (nested) etag.insert(etag.size() - 1, "-p");
  // Revalidated on every use (the names carry no version), cheaply: an
  // unchanged file is a 304 without a body.
  r.headers.push_back({"Cache-Control", "no-cache"});
  r.headers.push_back({"ETag", etag});
  r.content_type = std::string(asset->content_type);
  if (etag_matches(request.header("If-None-Match"), etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.body = std::string(asset->body);
  if (nested) {
    const std::size_t head = r.body.find("<head>");
    if (head != std::string::npos) r.body.insert(head + 6, "\n<base href=\"../\">");
  }
  return r;
}

}  // namespace omswatch::daemon
