#pragma once
// Base64 (RFC 4648, the standard alphabet, with padding).

#include <string>
#include <string_view>

namespace omswatch {

std::string base64_encode(std::string_view bytes);

}  // namespace omswatch
