#include "notifiers/proxy.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "common/ascii.h"

namespace omswatch::notifiers {
namespace {

struct HostPort {
  std::string host;  // lower case; IPv6 without brackets
  std::uint16_t port = 0;
  bool tls = false;
};

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || p != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// "host", "host:port", "[v6]", "[v6]:port"; nullopt when malformed.
std::optional<std::pair<std::string, std::optional<std::uint16_t>>> split_host_port(
    std::string_view text) {
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string host = ascii_lower(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (rest.empty()) return std::pair{host, std::optional<std::uint16_t>()};
    if (!rest.starts_with(':')) return std::nullopt;
    auto port = parse_port(rest.substr(1));
    if (!port) return std::nullopt;
    return std::pair{host, std::optional(*port)};
  }
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return std::pair{ascii_lower(text), std::optional<std::uint16_t>()};
  if (text.find(':', colon + 1) != std::string_view::npos) {
    // A bare IPv6 address (NO_PROXY entries may be written that way).
    return std::pair{ascii_lower(text), std::optional<std::uint16_t>()};
  }
  auto port = parse_port(text.substr(colon + 1));
  if (!port) return std::nullopt;
  return std::pair{ascii_lower(text.substr(0, colon)), std::optional(*port)};
}

std::optional<HostPort> read_url(std::string_view url) {
  HostPort out;
  std::string head = ascii_lower(url.substr(0, 8));
  if (head.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (head.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  auto authority = url.substr(0, url.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  auto parts = split_host_port(authority);
  if (!parts || parts->first.empty()) return std::nullopt;
  out.host = std::move(parts->first);
  out.port = parts->second.value_or(out.tls ? 443 : 80);
  return out;
}

bool is_loopback(std::string_view host) {
  return host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") ||
         host == "::1";
}

std::optional<std::string> first_set(const config::EnvLookup& env,
                                     std::initializer_list<std::string_view> names) {
  if (!env) return std::nullopt;
  for (auto name : names) {
    auto value = env(name);
    if (value && !value->empty()) return value;
  }
  return std::nullopt;
}

}  // namespace

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port) {
  const std::string h = ascii_lower(host);
  std::size_t pos = 0;
  while (pos < no_proxy.size()) {
    auto end = no_proxy.find_first_of(", \t", pos);
    if (end == std::string_view::npos) end = no_proxy.size();
    auto entry = no_proxy.substr(pos, end - pos);
    pos = end + 1;
    if (entry.empty()) continue;
    if (entry == "*") return true;
    auto parts = split_host_port(entry);
    if (!parts) continue;
    auto& [pattern, entry_port] = *parts;
    if (entry_port && *entry_port != port) continue;
    std::string_view p = pattern;
    if (p.starts_with("*.")) p.remove_prefix(1);  // "*.example.com" reads as ".example.com"
    if (p.starts_with('.')) p.remove_prefix(1);
    if (p.empty()) continue;
    if (h == p) return true;
    if (h.size() > p.size() && h.ends_with(p) && h[h.size() - p.size() - 1] == '.') return true;
  }
  return false;
}

std::string select_proxy(std::string_view url, std::string_view configured,
                         const config::EnvLookup& env) {
  if (!configured.empty()) return std::string(configured);
  auto target = read_url(url);
  if (!target || is_loopback(target->host)) return {};
  auto proxy = target->tls ? first_set(env, {"https_proxy", "HTTPS_PROXY"})
                           : first_set(env, {"http_proxy", "HTTP_PROXY"});
  if (!proxy) return {};
  if (auto no_proxy = first_set(env, {"no_proxy", "NO_PROXY"});
      no_proxy && no_proxy_matches(*no_proxy, target->host, target->port)) {
    return {};
  }
  if (proxy->find("://") == std::string::npos) return "http://" + *proxy;
  return *proxy;
}

}  // namespace omswatch::notifiers
