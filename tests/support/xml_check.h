// xml_check.h: is a file well-formed XML? Checked by a real XML parser (python3's expat, which
// tools/deps.sh installs), so balanced tags, quoted attributes, valid entities and character
// references, one root element and valid UTF-8 are all part of the check.
#pragma once

#include <string>

namespace tcpflow::test {

/// "" when `path` is a well-formed XML document whose root element is `root` (any root when
/// `root` is empty); otherwise what is wrong, with expat's line and column.
std::string xml_problem(const std::string& path, const std::string& root = "");

}  // namespace tcpflow::test
