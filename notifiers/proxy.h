#pragma once
// Which HTTP proxy a receiver's request goes through. Private to notifiers/.

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

namespace omswatch::notifiers {

// The proxy for a request to `url`, "" for a direct connection:
// - the receiver's own `configured` proxy when it is set;
// - else https_proxy / HTTPS_PROXY for an https:// URL, http_proxy / HTTP_PROXY
//   for an http:// one (the lowercase name wins when both are set), unless
//   no_proxy / NO_PROXY matches the URL's host, or the host is loopback
//   (localhost, 127.0.0.0/8, ::1), which no proxy can reach for us.
// A proxy written without a scheme ("proxy:3128") gets "http://". Empty
// variables count as unset. A URL that cannot be read goes direct (the
// request then fails on the URL itself).
std::string select_proxy(std::string_view url, std::string_view configured,
                         const config::EnvLookup& env);

// NO_PROXY as curl and Go read it: entries separated by commas or spaces;
// "*" matches every host; "example.com" and ".example.com" match that host
// and every subdomain; "host:port" matches that port only; IP literals match
// exactly (IPv6 with or without brackets). Case-insensitive.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

}  // namespace omswatch::notifiers
