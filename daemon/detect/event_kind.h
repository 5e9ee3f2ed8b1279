#pragma once
// The kinds of event omswatch raises, in one place: the detector emits them,
// the watcher emits project_removed, and the notifiers give each a title.
// They are stored in the events table and sent in every payload, so a kind
// is never renamed.

#include <string_view>

namespace omswatch::event_kind {

// Conditions: firing, then resolved.
inline constexpr std::string_view project_failed = "project_failed";
inline constexpr std::string_view project_suspended = "project_suspended";
inline constexpr std::string_view incr_stalled = "incr_stalled";
inline constexpr std::string_view incr_lagging = "incr_lagging";
inline constexpr std::string_view reverse_incr_stalled = "reverse_incr_stalled";
inline constexpr std::string_view project_unavailable = "project_unavailable";
inline constexpr std::string_view oms_unreachable = "oms_unreachable";
inline constexpr std::string_view full_transfer_slow = "full_transfer_slow";
inline constexpr std::string_view verify_mismatch = "verify_mismatch";
inline constexpr std::string_view incr_falling_behind = "incr_falling_behind";

// Notices.
inline constexpr std::string_view status_changed = "status_changed";
inline constexpr std::string_view step_changed = "step_changed";
inline constexpr std::string_view alarm_level_changed = "alarm_level_changed";
inline constexpr std::string_view struct_transfer_done = "struct_transfer_done";
inline constexpr std::string_view full_transfer_done = "full_transfer_done";
inline constexpr std::string_view project_removed = "project_removed";
inline constexpr std::string_view cutover_ready = "cutover_ready";

}  // namespace omswatch::event_kind
