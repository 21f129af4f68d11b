#pragma once

// Servers and PORT: which servers read PORT themselves (and how to pass it to
// those that do not), and port numbers written into a command.

#include <string>
#include <string_view>
#include <vector>

#include "check/command.hpp"
#include "procrun/check.hpp"

namespace procrun::lint {

// Whether the server reads PORT by itself, per its documentation or source:
//   gunicorn      binds 0.0.0.0:$PORT when no --bind is given (gunicorn/config.py)
//   rails server  port = --port || ENV["PORT"] || 3000 (railties server_command.rb)
//   next          `next start|dev`: --port, else PORT, else 3000 (Next.js CLI docs)
//   heroku-php-*  Heroku's PHP boot scripts listen on $PORT
//   puma          only through its config file (Rails generates
//                 `port ENV.fetch("PORT") { 3000 }` in config/puma.rb)
// A package.json script and a script of the app's own are read from `files`.
enum class PortUse { reads, ignores, unknown };

PortUse port_use(const Invocation& inv, const RootFiles& files, int depth = 0);

// How to pass the port to a server that does not read PORT; "" when unknown.
std::string_view server_hint(std::string_view server);

// The command of script `name` in package.json's "scripts", if it has one.
std::optional<std::string> package_script(std::string_view json, std::string_view name);

// A port number written into a web command.
struct HardCodedPort {
    const Word* word = nullptr;
    std::size_t index = 0;  // where the digits start in word->text
    std::string port;
    std::string replacement;  // the word's text with $PORT instead of the number
    bool loopback = false;    // it listened on 127.0.0.1 / localhost
};

void find_hard_coded(const Invocation& inv, std::vector<HardCodedPort>& out);

}  // namespace procrun::lint
