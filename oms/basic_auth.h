#pragma once
// HTTP Basic credentials. Private to the oms module. The result is a secret:
// never log it or put it in a message.

#include <string>
#include <string_view>

namespace omswatch::oms {

// "Basic " + base64(username ":" password), the Authorization header's value.
std::string basic_authorization(std::string_view username, std::string_view password);

// Whether `header` (an Authorization header as received) carries exactly these
// credentials. The scheme matches case-insensitively; the comparison of the
// credentials takes the same time wherever they differ.
bool basic_authorization_matches(std::string_view header, std::string_view username,
                                 std::string_view password);

}  // namespace omswatch::oms
