#include "notifiers/render.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>
#include <map>
#include <optional>

#include "common/ascii.h"
#include "common/percent.h"
#include "common/time.h"
#include "common/utf8.h"
#include "config/duration.h"
#include "daemon/detect/event_kind.h"

namespace omswatch::notifiers {
namespace json = boost::json;

// ---- UTF-8

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Where the text cut at `max_bytes` must end so no code point is split.
std::size_t boundary_at_or_before(std::string_view text, std::size_t max_bytes) {
  std::size_t cut = std::min(max_bytes, text.size());
  while (cut > 0 && cut < text.size() &&
         is_utf8_continuation(static_cast<unsigned char>(text[cut]))) {
    --cut;
  }
  return cut;
}

// Byte offset after the first `chars` code points.
std::size_t offset_of_char(std::string_view text, std::size_t chars) {
  std::size_t i = 0;
  for (std::size_t n = 0; i < text.size() && n < chars; ++n) {
    ++i;
    while (i < text.size() && is_utf8_continuation(static_cast<unsigned char>(text[i]))) ++i;
  }
  return i;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return !is_utf8_continuation(static_cast<unsigned char>(c));
  }));
}

std::string truncate_bytes(std::string_view text, std::size_t max_bytes,
                           std::string_view ellipsis) {
  if (text.size() <= max_bytes) return std::string(text);
  if (ellipsis.size() > max_bytes) {
    return std::string(text.substr(0, boundary_at_or_before(text, max_bytes)));
  }
  std::string out(text.substr(0, boundary_at_or_before(text, max_bytes - ellipsis.size())));
  out += ellipsis;
  return out;
}

std::string truncate_chars(std::string_view text, std::size_t max_chars,
                           std::string_view ellipsis) {
  if (utf8_length(text) <= max_chars) return std::string(text);
  const std::size_t ellipsis_chars = utf8_length(ellipsis);
  if (ellipsis_chars > max_chars)
    return std::string(text.substr(0, offset_of_char(text, max_chars)));
  std::string out(text.substr(0, offset_of_char(text, max_chars - ellipsis_chars)));
  out += ellipsis;
  return out;
}

// ---- reading an event

namespace {

json::object parse_object(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

std::optional<std::int64_t> number(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v->as_uint64(), INT64_MAX));
  }
  if (v->is_double() && std::isfinite(v->as_double()) && std::abs(v->as_double()) < 9e18) {
    return static_cast<std::int64_t>(v->as_double());
  }
  if (v->is_string()) {
    std::int64_t n = 0;
    std::string_view s = v->as_string();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && p == s.data() + s.size()) return n;
  }
  return std::nullopt;
}

std::string text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return valid_utf8(v->as_string());
  if (v->is_int64() || v->is_uint64() || v->is_double()) return json::serialize(*v);
  return {};
}

std::string first_text(const json::object& a, std::string_view ka, const json::object& b,
                       std::string_view kb) {
  std::string s = text(a, ka);
  return s.empty() ? text(b, kb) : s;
}

std::string human_duration_s(std::int64_t seconds) {
  return config::format_duration(std::chrono::seconds(seconds));
}

// The ETA of a running transfer from an event's details: `eta` as
// {"low_s", "high_s"} (or one number of seconds), `rate` per second and
// `eta_basis` ("records": rows per second; "percent": percentage points per
// second). "25m-31m at 12,300 rows/s"; "" when the details carry neither.
std::string eta_text(const json::object& details) {
  std::string range;
  if (const json::value* eta = details.if_contains("eta"); eta && eta->is_object()) {
    auto low = number(eta->as_object(), "low_s");
    auto high = number(eta->as_object(), "high_s");
    if (low && high && *low >= 0 && *high >= 0) range = format_duration_range(*low, *high);
  } else if (auto seconds = number(details, "eta"); seconds && *seconds >= 0) {
    range = human_duration_s(*seconds);
  }
  std::string rate;
  if (const json::value* r = details.if_contains("rate"); r && r->is_number()) {
    const double per_second = r->to_number<double>();
    if (std::isfinite(per_second) && per_second > 0 && per_second < 1e15) {
      if (text(details, "eta_basis") == "percent") {
        char buf[32];
        auto [end, ec] =
            std::to_chars(buf, buf + sizeof buf, std::round(per_second * 1000.0) / 1000.0);
        rate = std::string(buf, end) + " %/s";
      } else {
        rate = format_count(std::llround(per_second)) + " rows/s";
      }
    }
  }
  if (range.empty()) return rate.empty() ? "" : "unknown at " + rate;
  return rate.empty() ? range : range + " at " + rate;
}

std::string human_time(std::chrono::system_clock::time_point t) {
  return format_time(t, "%Y-%m-%d %H:%M:%S UTC");
}

// A checkpoint in unix seconds also as a time; other forms (Sybase
// "fileId,fileOffset") as they are.
std::string checkpoint_text(std::string_view raw) {
  std::int64_t secs = 0;
  auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), secs);
  if (ec == std::errc() && p == raw.data() + raw.size() && secs > 100'000'000 &&
      secs < 100'000'000'000) {
    return std::string(raw) + " (" +
           human_time(std::chrono::system_clock::time_point(std::chrono::seconds(secs))) + ")";
  }
  return std::string(raw);
}

Tone severity_tone(Severity s) {
  return s == Severity::critical  ? Tone::critical
         : s == Severity::warning ? Tone::warning
                                  : Tone::info;
}

constexpr TonePalette kMarks{"🔴", "🟠", "🔵", "✅"};

std::string kind_title(std::string_view kind) {
  static const std::map<std::string_view, std::string_view> kTitles = {
      {event_kind::project_failed, "Project failed"},
      {event_kind::project_suspended, "Project suspended"},
      {event_kind::incr_stalled, "Incremental sync stalled"},
      {event_kind::incr_lagging, "Incremental sync lagging"},
      {event_kind::reverse_incr_stalled, "Reverse incremental sync stalled"},
      {event_kind::project_unavailable, "Project unavailable"},
      {event_kind::oms_unreachable, "OMS unreachable"},
      {event_kind::full_transfer_slow, "Full transfer slow"},
      {event_kind::verify_mismatch, "Verification found differences"},
      {event_kind::incr_falling_behind, "Incremental sync falling behind"},
      {event_kind::cutover_ready, "Ready for cutover"},
      {event_kind::status_changed, "Status changed"},
      {event_kind::step_changed, "Step changed"},
      {event_kind::struct_transfer_done, "Schema transfer done"},
      {event_kind::full_transfer_done, "Full transfer done"},
      {event_kind::alarm_level_changed, "Alarm level changed"},
      {event_kind::project_removed, "Project removed"},
  };
  if (auto it = kTitles.find(kind); it != kTitles.end()) return std::string(it->second);
  // A kind of a newer detector: its name in words.
  std::string out = truncate_chars(valid_utf8(kind), 60);
  std::replace(out.begin(), out.end(), '_', ' ');
  if (!out.empty()) out[0] = ascii_upper(out[0]);
  return out;
}

bool is_http_url(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

}  // namespace

EventView view_of(const Event& e) {
  EventView v;
  v.severity = e.severity;
  v.state = e.state;
  const bool resolved = e.state == "resolved";
  v.mark = std::string(kMarks(tone_of(v)));
  v.label = resolved ? "RESOLVED" : ascii_upper(to_string(e.severity));
  v.title = kind_title(e.kind);
  v.summary = truncate_chars(valid_utf8(e.summary), kMaxSummaryChars);
  if (v.summary.empty()) {
    v.summary = v.title + (e.project_id.empty() ? "" : ": " + valid_utf8(e.project_id));
  }
  if (is_http_url(e.link)) v.link = valid_utf8(e.link);
  if (is_http_url(e.omswatch_url)) v.page = valid_utf8(e.omswatch_url);

  const json::object details = parse_object(e.details_json);
  const json::object progress = parse_object(e.progress_json);
  auto add = [&](std::string label, const std::string& value, std::size_t limit = kMaxFactChars) {
    if (!value.empty()) v.facts.push_back({std::move(label), truncate_chars(value, limit)});
  };

  if (!e.project_id.empty()) {
    std::string project = valid_utf8(e.project_id);
    if (!e.project_name.empty()) project += " (" + valid_utf8(e.project_name) + ")";
    add("Project", project);
  }
  add("OMS", valid_utf8(e.oms));

  // A notice of a change says from what to what, in place of the plain fact.
  std::string changed;
  if (e.kind == event_kind::status_changed) changed = "Status";
  if (e.kind == event_kind::step_changed) changed = "Step";
  if (e.kind == event_kind::alarm_level_changed) changed = "Alarm level";
  std::string from = text(details, "from"), to = text(details, "to");
  if (from.empty() && to.empty()) changed.clear();
  if (changed != "Alarm level") add("Alarm level", valid_utf8(e.alarm_level));
  if (!changed.empty()) {
    add(changed, (from.empty() ? "(none)" : from) + " → " + (to.empty() ? "(none)" : to));
  }
  if (changed != "Status") add("Status", first_text(progress, "status", details, "status"));
  if (changed != "Step") add("Step", first_text(progress, "currentStep", details, "step"));

  std::string transfer;
  if (auto p = number(progress, "structTransferProgress")) {
    transfer = "schema " + std::to_string(*p) + "%";
  }
  if (auto p = number(progress, "fullTransferProgress")) {
    transfer += (transfer.empty() ? "" : ", ") + std::string("full ") + std::to_string(*p) + "%";
  }
  add("Progress", transfer);
  add("ETA", eta_text(details));

  if (auto lag = number(details, "lag_s")) {
    std::string value = human_duration_s(*lag);
    if (auto limit = number(details, "max_lag_s"))
      value += " (limit " + human_duration_s(*limit) + ")";
    add("Lag", value);
  }
  std::string checkpoint = text(details, "checkpoint");
  if (!checkpoint.empty() || details.contains("unchanged_s")) {
    std::string value = checkpoint.empty() ? std::string("unknown") : checkpoint_text(checkpoint);
    if (auto unchanged = number(details, "unchanged_s")) {
      value += ", unchanged for " + human_duration_s(*unchanged);
    }
    add("Checkpoint", value);
  }

  add("Failed step", text(details, "failed_step"));
  std::string error = text(details, "error_code");
  if (std::string message = text(details, "error_message"); !message.empty()) {
    error += (error.empty() ? "" : " ") + message;
  }
  if (error.empty()) error = text(details, "error");
  add("Error", error, kMaxErrorChars);
  if (auto n = number(details, "failed_polls")) add("Failed polls in a row", std::to_string(*n));
  if (auto n = number(details, "consecutive")) add("Failures in a row", std::to_string(*n));

  if (resolved) {
    if (auto lasted = number(details, "duration_s")) add("Lasted", human_duration_s(*lasted));
    if (!e.acked_by.empty()) {
      std::string by = "by " + valid_utf8(e.acked_by);
      if (!e.ack_reason.empty()) by += ": " + valid_utf8(e.ack_reason);
      add("Acknowledged", by);
    }
  }
  if (auto repeat = number(details, "repeat"); repeat && *repeat > 0) {
    std::string value = "#" + std::to_string(*repeat);
    if (auto since = number(details, "firing_for_s")) {
      value += ", firing for " + human_duration_s(*since);
    }
    add("Reminder", value);
  }
  add("Observed", human_time(e.observed_at));
  return v;
}

std::string event_headline(const Event& e) {
  EventView v = view_of(e);
  return v.mark + " [" + v.label + "] " + v.summary;
}

Tone group_tone(const std::vector<Event>& events) {
  std::optional<Severity> worst_firing;
  bool any_resolved = false;
  for (const auto& e : events) {
    if (e.state == "firing") {
      worst_firing = std::max(worst_firing.value_or(Severity::info), e.severity);
    } else if (e.state == "resolved") {
      any_resolved = true;
    }
  }
  if (worst_firing) return severity_tone(*worst_firing);
  return any_resolved ? Tone::resolved : Tone::info;
}

Tone tone_of(const EventView& v) {
  return v.state == "resolved" ? Tone::resolved : severity_tone(v.severity);
}

std::string_view TonePalette::operator()(Tone tone) const {
  switch (tone) {
    case Tone::critical:
      return critical;
    case Tone::warning:
      return warning;
    case Tone::info:
      return info;
    case Tone::resolved:
      return resolved;
  }
  return info;
}

std::string group_headline(const std::vector<Event>& events) {
  if (events.size() == 1) return event_headline(events.front());
  std::array<std::size_t, 3> firing{};  // by severity
  std::size_t resolved = 0, notices = 0;
  for (const auto& e : events) {
    if (e.state == "firing") {
      ++firing[static_cast<std::size_t>(e.severity)];
    } else if (e.state == "resolved") {
      ++resolved;
    } else {
      ++notices;
    }
  }
  std::vector<std::string> parts;
  for (Severity s : {Severity::critical, Severity::warning, Severity::info}) {
    if (auto n = firing[static_cast<std::size_t>(s)]) {
      parts.push_back(std::to_string(n) + " " + std::string(to_string(s)) + " firing");
    }
  }
  if (resolved) parts.push_back(std::to_string(resolved) + " resolved");
  if (notices) parts.push_back(std::to_string(notices) + (notices == 1 ? " notice" : " notices"));

  std::string out =
      std::string(kMarks(group_tone(events))) + " " + std::to_string(events.size()) + " events";
  const bool one_oms = std::all_of(events.begin(), events.end(),
                                   [&](const Event& e) { return e.oms == events.front().oms; });
  if (one_oms && !events.front().oms.empty()) {
    out += " on " + truncate_chars(valid_utf8(events.front().oms), 60);
  }
  out += ":";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : " ") + parts[i];
  return out;
}

std::vector<Event> by_urgency(std::vector<Event> events) {
  auto rank = [](const Event& e) {
    if (e.state == "firing") return 2 - static_cast<int>(e.severity);  // critical first
    if (e.state == "resolved") return 3;
    return 4;
  };
  std::stable_sort(events.begin(), events.end(),
                   [&](const Event& a, const Event& b) { return rank(a) < rank(b); });
  return events;
}

std::string more_line(std::size_t hidden) {
  return "… and " + std::to_string(hidden) + (hidden == 1 ? " more event" : " more events");
}

std::size_t fit_count(std::size_t total, const std::function<bool(std::size_t)>& fits) {
  if (fits(total)) return total;
  std::size_t lo = 0, hi = total;  // fits(lo) is assumed, !fits(hi) is known
  while (hi - lo > 1) {
    std::size_t mid = lo + (hi - lo) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::string largest_within(std::size_t total, std::size_t max_bytes,
                           const std::function<std::string(std::size_t shown)>& message) {
  return message(fit_count(total, [&](std::size_t n) { return message(n).size() <= max_bytes; }));
}

// ---- markdown

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string break_links_and_mentions(std::string_view text) {
  static constexpr std::string_view kZeroWidthSpace = "\xE2\x80\x8B";
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (istarts_with(text.substr(i), "www.")) {
      out.append(text.substr(i, 3));
      out += kZeroWidthSpace;
      out += '.';
      i += 3;
      continue;
    }
    out.push_back(c);
    const char next = i + 1 < text.size() ? text[i + 1] : ' ';
    const bool link_follows = c == ']' && (next == '(' || next == '[' || next == ':');
    const bool mention = c == '@' && next != ' ';
    if (link_follows || mention || (c == ':' && text.substr(i + 1).starts_with("//"))) {
      out += kZeroWidthSpace;
    }
  }
  return out;
}

std::string inert_markdown(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : break_links_and_mentions(text)) {
    if (c == '<') {
      out += "\xEF\xBC\x9C";  // ＜
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string inert_feishu_markdown(std::string_view text) {
  return escape_html(break_links_and_mentions(text));
}

std::string inert_slack_mrkdwn(std::string_view text) {
  return escape_html(break_links_and_mentions(text));
}

std::string link_target(std::string_view url) {
  return percent_encode_if(url, [](unsigned char u) {
    return u <= 0x20 || u == 0x7f || u == '(' || u == ')' || u == '<' || u == '>' || u == '|' ||
           u == '"' || u == '[' || u == ']';
  });
}

MarkdownDialect common_markdown(std::function<std::string(std::string_view)> escape) {
  return MarkdownDialect{"**", "- ", std::move(escape),
                         [](std::string_view url, std::string_view text) {
                           return "[" + std::string(text) + "](" + link_target(url) + ")";
                         }};
}

MarkdownDialect slack_mrkdwn() {
  return MarkdownDialect{"*", "• ", inert_slack_mrkdwn,
                         [](std::string_view url, std::string_view text) {
                           return "<" + link_target(url) + "|" + std::string(text) + ">";
                         }};
}

std::string markdown_event(const EventView& v, const MarkdownDialect& d, std::size_t max_bytes) {
  auto bold = [&](std::string_view s) {
    return std::string(d.bold) + std::string(s) + std::string(d.bold);
  };
  std::string out =
      v.mark + " " + bold(v.label + " · " + d.escape(v.title)) + "\n" + d.escape(v.summary) + "\n";
  for (const auto& f : v.facts) {
    out += std::string(d.bullet) + bold(f.label + ":") + " " + d.escape(f.value) + "\n";
  }
  out.pop_back();
  std::string links;
  if (!v.page.empty()) links = d.link(v.page, kOpenPage);
  if (!v.link.empty()) links += (links.empty() ? "" : " · ") + d.link(v.link, kOpenOmsConsole);
  if (links.empty() || links.size() + 1 >= max_bytes) return truncate_bytes(out, max_bytes);
  return truncate_bytes(out, max_bytes - links.size() - 1) + "\n" + links;
}

}  // namespace omswatch::notifiers
