#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace procrun {

// A word quoted for /bin/sh: left as it is when it holds only characters the
// shell never interprets (letters, digits, `_@%+=:,./-`), otherwise in single
// quotes with each ' written '\'' . The empty word is ''.
std::string shell_quote(std::string_view word);

// Words joined with spaces, each quoted, so that the shell passes exactly these
// arguments.
std::string shell_join(const std::vector<std::string>& words);

}  // namespace procrun
