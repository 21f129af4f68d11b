#include "export/template.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace procrun;

namespace {

const tmpl::Schema kSchema{{"app", "user"}, {{"items", tmpl::Schema{{"name", "port"}, {}}}}};

tmpl::Context context(const std::string& user) {
    tmpl::Context c;
    c.values["app"] = "blog";
    c.values["user"] = user;
    c.lists["items"] = {tmpl::Context{{{"name", "web.1"}, {"port", "5000"}}, {}},
                        tmpl::Context{{{"name", "web.2"}, {"port", "5001"}}, {}}};
    return c;
}

std::string render(const std::string& text, const tmpl::Context& c) {
    auto parsed = tmpl::parse(text, "t.tmpl", kSchema);
    REQUIRE(parsed.ok());
    return tmpl::render(parsed.value, c);
}

std::string first_error(const std::string& text) {
    auto parsed = tmpl::parse(text, "t.tmpl", kSchema);
    REQUIRE_FALSE(parsed.ok());
    const Diagnostic& d = parsed.diagnostics.front();
    return d.where.file + ":" + std::to_string(d.where.line) + ":" +
           std::to_string(d.where.column) + ": " + d.message +
           (d.hint.empty() ? "" : " | " + d.hint);
}

}  // namespace

TEST_CASE("templates substitute values and repeat lists", "[export][template]") {
    CHECK(render("app={{app}} {{ app }}\n", context("")) == "app=blog blog\n");
    CHECK(render("{{#items}}\n{{app}}:{{name}}={{port}}\n{{/items}}\nend\n", context("")) ==
          "blog:web.1=5000\nblog:web.2=5001\nend\n");
    CHECK(render("[{{#items}}{{name}},{{/items}}]", context("")) == "[web.1,web.2,]");
}

TEST_CASE("a value section renders when the value is not empty", "[export][template]") {
    const std::string t =
        "a\n{{#user}}\nUser={{user}}\n{{/user}}\n{{^user}}\nno user\n{{/user}}\nb\n";
    CHECK(render(t, context("www")) == "a\nUser=www\nb\n");
    CHECK(render(t, context("")) == "a\nno user\nb\n");
}

TEST_CASE("standalone tag lines vanish, inline ones keep the line", "[export][template]") {
    CHECK(render("  {{! note }}  \nx\n", context("")) == "x\n");
    CHECK(render("x {{#user}}-u {{user}}{{/user}}\n", context("me")) == "x -u me\n");
    CHECK(render("x {{#user}}-u {{user}}{{/user}}\n", context("")) == "x \n");
    CHECK(render("no newline at end {{app}}", context("")) == "no newline at end blog");
    CHECK(render("a\r\n{{#user}}\r\nu\r\n{{/user}}\r\nb\r\n", context("x")) == "a\r\nu\r\nb\r\n");
}

TEST_CASE("template errors are located and name what is known", "[export][template]") {
    CHECK(first_error("ok\nExec={{comand}}\n") ==
          "t.tmpl:2:6: unknown name 'comand' | known here: #items, app, user");
    CHECK(first_error("{{#items}}\n{{nme}}\n{{/items}}\n") ==
          "t.tmpl:2:1: unknown name 'nme' | known here: #items, app, name, port, user");
    // Checked even inside a section that would render nothing.
    CHECK(first_error("{{^user}}{{bogus}}{{/user}}") ==
          "t.tmpl:1:10: unknown name 'bogus' | known here: #items, app, user");
    CHECK(first_error("{{items}}") ==
          "t.tmpl:1:1: 'items' is a list, not a value | repeat over it with "
          "{{#items}}...{{/items}}");
    CHECK(first_error("x {{app\n") ==
          "t.tmpl:1:3: unterminated tag: '{{' without '}}' on the same line | a tag is "
          "{{name}}, {{#name}}, {{^name}}, {{/name}} or {{! comment }}");
    CHECK(first_error("{{#items}}\n") ==
          "t.tmpl:1:1: section 'items' is never closed | add {{/items}}");
    CHECK(first_error("{{/items}}") == "t.tmpl:1:1: '{{/items}}' closes no open section");
    CHECK(first_error("{{#items}}{{#user}}{{/items}}{{/user}}") ==
          "t.tmpl:1:20: '{{/items}}' closes section 'user' opened at line 1 | close it with "
          "{{/user}}");
    CHECK(first_error("{{a b}}") ==
          "t.tmpl:1:1: '{{a b}}' is not a valid tag | names are letters, digits, '_', '.' and "
          "'-'");
}

TEST_CASE("every error in a template is reported", "[export][template]") {
    auto parsed = tmpl::parse("{{x}}\n{{y}}\n", "t.tmpl", kSchema);
    CHECK(parsed.diagnostics.size() == 2);
    CHECK(parsed.diagnostics[0].source_line == "{{x}}");
    CHECK(parsed.diagnostics[1].where.line == 2);
}
