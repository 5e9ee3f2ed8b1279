#pragma once
// Signing helpers for receivers that authenticate their senders.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omswatch::notifiers {

std::string hmac_sha256(std::string_view key, std::string_view message);  // raw 32 bytes
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);  // nullopt when not base64

// Standard Webhooks: "v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>",
// key = base64-decode of the secret after its "whsec_" prefix (a secret that
// is not valid base64 is used as raw bytes).
std::string standard_webhooks_signature(std::string_view secret, std::string_view id,
                                        std::int64_t timestamp_s, std::string_view body);

}  // namespace omswatch::notifiers
