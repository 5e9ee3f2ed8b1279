#include "config/loader_support.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/ascii.h"
#include "net/url.h"

namespace omswatch::config::detail {
namespace {

// Levenshtein distance, ignoring case: "Database" and "databse" are both
// close to "database".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution =
          diagonal + (ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

bool contains(std::span<const std::string_view> list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

std::string join(std::span<const std::string_view> list) {
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += i + 1 == list.size() ? " or " : ", ";
    out += list[i];
  }
  return out;
}

Place place_of(const toml::source_region& region) {
  return {static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

Place place_of(const toml::node& node) { return place_of(node.source()); }

Place place_of(const toml::key& key) { return place_of(key.source()); }

std::string where(Place p) {
  return "line " + std::to_string(p.line) + ", column " + std::to_string(p.column);
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string printable(std::string_view text, bool quote_marks, std::size_t max_shown) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      if (quote_marks && (c == '"' || c == '\\')) out += '\\';
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max_shown) out += "...";
  return out;
}

std::string shown(std::string_view text) { return "\"" + printable(text, true) + "\""; }

std::string shown_key(std::string_view path) { return "'" + printable(path, false) + "'"; }

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  constexpr std::size_t kMaxDistance = 2;
  constexpr std::size_t kMinPrefix = 3;
  if (word.size() > 64) return "";  // keeps the quadratic distance cheap on hostile keys
  std::string_view best;
  std::size_t best_distance = kMaxDistance + 1;
  for (auto candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    if (std::min(word.size(), candidate.size()) >= kMinPrefix &&
        (istarts_with(word, candidate) || istarts_with(candidate, word))) {
      d = std::min<std::size_t>(d, kMaxDistance);
    }
    if (d < best_distance && d < std::max(word.size(), candidate.size())) {
      best = candidate;
      best_distance = d;
    }
  }
  if (best.empty()) return "";
  return " (did you mean '" + std::string(best) + "'?)";
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool has_control_or_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c == 0x7f;
  });
}

std::string url_problem(std::string_view url, bool https_allowed) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (https_allowed && url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return https_allowed ? "must start with http:// or https://" : "must start with http://";
  }
  if (has_control_or_space(url)) return "must not contain spaces or control characters";
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const std::string_view host = authority.substr(authority.rfind('@') + 1);
  if (host.empty() || host.starts_with(':')) return "has no host";
  // The grammar the HTTP client applies when it sends: what it would refuse is refused here.
  if (!net::detail::parse_url(url)) {
    return "is not a valid URL: the host must be a name or an address (IPv6 in brackets, "
           "[::1]) and the port 1 to 65535";
  }
  return "";
}

}  // namespace omswatch::config::detail
