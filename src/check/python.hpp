#pragma once

// A scan of Python source for what gunicorn's MODULE:APP needs: whether a
// module defines a name, and what a module or APP spec looks like.

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace procrun::lint {

enum class Defined { yes, no, unknown };

// A simple scan of Python source for a module-level name: assignments
// (including annotated and tuple targets, `:=`), def/async def/class,
// imports (`import x as NAME`, `from m import NAME`, parenthesised lists),
// `as NAME` and `for NAME`. `from m import *`, a module `__getattr__`,
// `globals()` or `setattr` make the answer unknown.
Defined python_defines(std::string_view source, std::string_view name);

// `a.b.c`, each part an identifier.
bool is_dotted_module(std::string_view s);

// The name gunicorn looks up for APP: `app` or the function of `create_app(...)`.
// Gunicorn 20.1+ parses APP with Python's ast: a name or a call of a name only.
std::optional<std::string> app_lookup_name(std::string_view app);

// Names a WSGI/ASGI module commonly defines, to suggest when APP is wrong.
inline constexpr std::array<std::string_view, 7> kCommonAppNames = {
    "application", "app", "create_app", "make_app", "api", "server", "main",
};

}  // namespace procrun::lint
