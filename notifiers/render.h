#pragma once
// What the chat channels say about a group of events, apart from each
// platform's markup: headlines, the facts people act on, markdown in the
// common dialects, and UTF-8-safe truncation. Private to notifiers/.
//
// Every string these functions return is valid UTF-8 (invalid input bytes
// become U+FFFD) and bounded, whatever the event carries.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "notifiers/event.h"

namespace omswatch::notifiers {

// ---- UTF-8

// `text` with each invalid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);
// Code points in `text`. REQUIRES: valid UTF-8.
std::size_t utf8_length(std::string_view text);
// `text` cut to at most `max_bytes` bytes on a code point boundary, ending in
// `ellipsis` when cut (the ellipsis counts towards the limit; when even it
// does not fit, the cut text has none). REQUIRES: valid UTF-8.
std::string truncate_bytes(std::string_view text, std::size_t max_bytes,
                           std::string_view ellipsis = "…");
// The same with a limit in code points.
std::string truncate_chars(std::string_view text, std::size_t max_chars,
                           std::string_view ellipsis = "…");

// ---- one event, digested

struct Fact {
  std::string label;  // "Lag"
  std::string value;  // "3m 12s (limit 10m)"
};

struct EventView {
  Severity severity = Severity::info;
  std::string state;    // firing, resolved, notice
  std::string mark;     // an emoji: red, orange, blue circle; a check mark when resolved
  std::string label;    // "CRITICAL", "WARNING", "INFO"; "RESOLVED" for a resolution
  std::string title;    // the kind in words: "Project failed"
  std::string summary;  // the detector's one-line summary, bounded
  std::vector<Fact> facts;
  std::string link;  // an http(s) URL into the OMS console, or ""
  std::string page;  // an http(s) URL of the event's page in omswatch's console, or ""
};

// The words of the links to each console.
inline constexpr std::string_view kOpenPage = "Open in omswatch";
inline constexpr std::string_view kOpenOmsConsole = "Open in the OMS console";

// Bounds of the digested text (code points).
inline constexpr std::size_t kMaxSummaryChars = 500;
inline constexpr std::size_t kMaxErrorChars = 600;
inline constexpr std::size_t kMaxFactChars = 200;

// The facts of `e`, read from its fields, details_json and progress_json:
// project (id and name), OMS, alarm level, status, step, progress, a change
// (from -> to), the ETA and rate of a running transfer (details eta,
// rate, eta_basis), lag, checkpoint, failing step and its error, how long a
// resolved condition lasted and who had acknowledged it (Acknowledged: "by
// NAME: reason"), reminders, when it was observed. Facts that the
// event does not carry are left out; unreadable JSON counts as empty.
EventView view_of(const Event& e);

// "🔴 [CRITICAL] np_4w1 FAILED in INCR_TRANSFER: ORA-01555", bounded to kMaxSummaryChars + 20.
std::string event_headline(const Event& e);

// One event: its headline. More: "🔴 3 events on prod: 2 critical firing, 1 resolved"
// (the OMS named when all share it). Bounded like event_headline.
// REQUIRES: !events.empty()
std::string group_headline(const std::vector<Event>& events);

// The colour of a group: its worst firing severity; `resolved` when nothing
// fires and something resolved; `info` for notices only.
enum class Tone { critical, warning, info, resolved };
Tone group_tone(const std::vector<Event>& events);
// The colour of one event: `resolved` for a resolution, else its severity's.
Tone tone_of(const EventView& v);

// A platform's word for each tone: a colour name, a mark.
struct TonePalette {
  std::string_view critical;
  std::string_view warning;
  std::string_view info;
  std::string_view resolved;
  std::string_view operator()(Tone tone) const;
};

// The events most urgent first (firing critical, warning, info, then
// resolutions, then notices), otherwise in their order: when a message must
// drop some, it drops the least urgent.
std::vector<Event> by_urgency(std::vector<Event> events);

// "… and 3 more events" (for the part of a group that did not fit).
std::string more_line(std::size_t hidden);

// The largest n in [0, total] for which `fits(n)` holds, assuming that a
// message showing fewer events is never larger (binary search). 0 when none fits.
std::size_t fit_count(std::size_t total, const std::function<bool(std::size_t)>& fits);

// `message(n)` for the largest n in [0, total] whose message is at most
// `max_bytes` long (fit_count() of that); message(0) when none is.
std::string largest_within(std::size_t total, std::size_t max_bytes,
                           const std::function<std::string(std::size_t shown)>& message);

// ---- markdown dialects

struct MarkdownDialect {
  std::string_view bold;                                // "**", or "*" (Slack mrkdwn)
  std::string_view bullet;                              // before each fact
  std::function<std::string(std::string_view)> escape;  // for text taken from the event
  std::function<std::string(std::string_view url, std::string_view text)> link;
};

// Common markdown ([text](url), **bold**) with `escape` for the text.
MarkdownDialect common_markdown(std::function<std::string(std::string_view)> escape);
// Slack mrkdwn: *bold*, <url|text>, event text through inert_slack_mrkdwn().
MarkdownDialect slack_mrkdwn();

// An event in markdown, at most `max_bytes` bytes: the headline line in bold,
// the summary, one line per fact, then one line with the links (omswatch's
// page, the OMS console). When too long, the text before the links is cut,
// never a link; links that alone do not fit are left out.
std::string markdown_event(const EventView& v, const MarkdownDialect& d, std::size_t max_bytes);

// `url` with the characters that end a markdown or mrkdwn link target
// (space, parentheses, angle brackets, |) percent-encoded.
std::string link_target(std::string_view url);

// Characters that a markup would read: '&', '<', '>' as entities.
std::string escape_html(std::string_view text);

// ---- text from OMS, made inert in each platform's markup
//
// OMS text (summaries, ids, statuses, error messages) is shown, never
// obeyed: it must not add a link, an image, a mention or a tag. Each
// dialect's escape below does that for every text taken from an event,
// headlines included; the zero-width space (U+200B) they insert is invisible.

// Links, images and mentions broken for any markdown or mrkdwn reader: a
// zero-width space after a ']' that a '(', '[' or ':' follows ("[t](u)" and
// "![t](u)" are no link), after an '@' that is not the last of a word
// ("@all", "@here", "@name" mention nobody), inside "://" and "www." (no
// bare URL is linked).
std::string break_links_and_mentions(std::string_view text);

// DingTalk, WeCom and Teams markdown: break_links_and_mentions(), and '<'
// as the full-width '＜' (these dialects have no escape for it), so that no
// <font>, <at>, <@userid> or <http://...> is read.
std::string inert_markdown(std::string_view text);

// Feishu card markdown: break_links_and_mentions(), '&', '<', '>' as entities.
std::string inert_feishu_markdown(std::string_view text);

// Slack mrkdwn (sections and the top-level "text"): break_links_and_mentions(),
// '&', '<', '>' as entities, so no <!channel>, <@U123> or <url|text>.
std::string inert_slack_mrkdwn(std::string_view text);

}  // namespace omswatch::notifiers
