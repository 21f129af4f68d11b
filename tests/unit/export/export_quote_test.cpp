#include "export/quote.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace procrun;

TEST_CASE("sh quoting leaves safe words alone and single-quotes the rest", "[export][quote]") {
    CHECK(shell_quote("web") == "web");
    CHECK(shell_quote("/srv/app-1.0/x_y") == "/srv/app-1.0/x_y");
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("a b") == "'a b'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("$HOME \"q\" \\ ; &&") == "'$HOME \"q\" \\ ; &&'");
    CHECK(shell_quote("line1\nline2") == "'line1\nline2'");
}

TEST_CASE("environment variable names", "[export][quote]") {
    CHECK(quote::is_env_name("PORT"));
    CHECK(quote::is_env_name("_x1"));
    CHECK_FALSE(quote::is_env_name(""));
    CHECK_FALSE(quote::is_env_name("1X"));
    CHECK_FALSE(quote::is_env_name("A-B"));
    CHECK_FALSE(quote::is_env_name("A.B"));
}

TEST_CASE("UTF-8 validation", "[export][quote]") {
    CHECK(quote::is_utf8("plain"));
    CHECK(quote::is_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    CHECK_FALSE(quote::is_utf8("\xff"));
    CHECK_FALSE(quote::is_utf8("\xc3"));          // truncated
    CHECK_FALSE(quote::is_utf8("\xc0\xaf"));      // overlong
    CHECK_FALSE(quote::is_utf8("\xed\xa0\x80"));  // surrogate
}

TEST_CASE("systemd ExecStart words escape quotes, backslashes, $ and %", "[export][quote]") {
    CHECK(quote::systemd_exec_word("echo hi") == "\"echo hi\"");
    CHECK(quote::systemd_exec_word("echo \"it's\" $HOME 100% a\\b") ==
          "\"echo \\\"it's\\\" $$HOME 100%% a\\\\b\"");
    CHECK(quote::systemd_exec_word("a\nb\tc\rd") == "\"a\\nb\\tc\\rd\"");
    CHECK(quote::systemd_exec_word(std::string("x\x01y", 3)) == "\"x\\x01y\"");
    CHECK(quote::systemd_exec_word("; && |") == "\"; && |\"");
}

TEST_CASE("systemd setting values double % and refuse what a line cannot hold", "[export][quote]") {
    std::string why;
    CHECK(quote::systemd_value("/srv/100%/app", &why) == "/srv/100%%/app");
    CHECK_FALSE(quote::systemd_value("a\nb", &why));
    CHECK(why == "it contains a newline, which a unit file setting cannot hold");
    CHECK_FALSE(quote::systemd_value(" lead", &why));
    CHECK(why == "systemd strips leading and trailing spaces from a setting");
}

TEST_CASE("systemd environment file lines", "[export][quote]") {
    CHECK(quote::systemd_env_line("A", "plain") == "A=\"plain\"\n");
    CHECK(quote::systemd_env_line("A", "say \"hi\" $X `cmd` \\n") ==
          "A=\"say \\\"hi\\\" \\$X \\`cmd\\` \\\\n\"\n");
    CHECK(quote::systemd_env_line("A", "l1\nl2") == "A=\"l1\nl2\"\n");
    CHECK(quote::systemd_env_line("A", "it's # = ;") == "A=\"it's # = ;\"\n");
}

TEST_CASE("supervisord command words survive the config parser and shlex", "[export][quote]") {
    std::string why;
    CHECK(quote::supervisor_word("echo hi", &why) == "'echo hi'");
    CHECK(quote::supervisor_word("it's", &why) == "'it'\\''s'");
    CHECK(quote::supervisor_word("100%", &why) == "'100%%'");
    // Whitespace before ';' or '#' would start an inline comment.
    CHECK(quote::supervisor_word("a ; b #c", &why) == "'a ''; b ''#c'");
    CHECK(quote::supervisor_word("a;b#c", &why) == "'a;b#c'");
    // Line breaks go onto indented continuation lines, quotes closed around them.
    CHECK(quote::supervisor_word("a \n b", &why) == "'a ''\n    '' b'");
    CHECK_FALSE(quote::supervisor_word("a\rb", &why));
    CHECK(why ==
          "it contains a carriage return, which supervisord's config reader turns into a "
          "line break");
}

TEST_CASE("supervisord environment values: what shlex without escapes can carry",
          "[export][quote]") {
    std::string why;
    CHECK(quote::supervisor_env_value("plain", &why) == "\"plain\"");
    CHECK(quote::supervisor_env_value("", &why) == "\"\"");
    CHECK(quote::supervisor_env_value("a, b=c", &why) == "\"a, b=c\"");
    CHECK(quote::supervisor_env_value("it's", &why) == "\"it's\"");
    CHECK(quote::supervisor_env_value("say \"hi\" now", &why) == "'say \"hi\" now'");
    CHECK(quote::supervisor_env_value("50%", &why) == "\"50%%\"");
    CHECK(quote::supervisor_env_value("a#b", &why) == "\"a#b\"");
    CHECK(quote::supervisor_env_value("l1\nl2", &why) == "\"l1\n    l2\"");

    CHECK_FALSE(quote::supervisor_env_value("\"quoted\"", &why));
    CHECK(why ==
          "it starts or ends with a quote character, which supervisord strips from "
          "environment= values");
    CHECK_FALSE(quote::supervisor_env_value("it's \"x\" y", &why));
    CHECK(why ==
          "it contains both kinds of quote, which supervisord's environment= parser (shlex "
          "without escapes) cannot hold");
    CHECK_FALSE(quote::supervisor_env_value("a #b", &why));
    CHECK(why == "'#' after whitespace starts an inline comment in supervisord's config file");
    CHECK_FALSE(quote::supervisor_env_value("l1\n l2", &why));
    CHECK_FALSE(quote::supervisor_env_value("l1\n", &why));
    CHECK_FALSE(quote::supervisor_env_value("l1\n#x", &why));
}

TEST_CASE("supervisord plain values", "[export][quote]") {
    std::string why;
    CHECK(quote::supervisor_value("/var/log/app%", &why) == "/var/log/app%%");
    CHECK(quote::supervisor_value("/a;b", &why) == "/a;b");
    CHECK_FALSE(quote::supervisor_value("/a ;b", &why));
    CHECK_FALSE(quote::supervisor_value("/a\nb", &why));
    CHECK_FALSE(quote::supervisor_value("/a ", &why));
}

TEST_CASE("runit envdir files: newline as NUL, trailing blanks refused", "[export][quote]") {
    std::string why;
    CHECK(quote::runit_env_file("v", &why) == "v\n");
    CHECK(quote::runit_env_file("", &why) == "\n");
    CHECK(quote::runit_env_file("a\nb", &why) == std::string("a\0b\n", 4));
    CHECK(quote::runit_env_file(" lead and inner  x", &why) == " lead and inner  x\n");
    CHECK_FALSE(quote::runit_env_file("trail ", &why));
    CHECK(why == "it ends in a space or tab, which chpst -e strips from envdir values");
    CHECK_FALSE(quote::runit_env_file("tab\t", &why));
}

TEST_CASE("XML text", "[export][quote]") {
    std::string why;
    CHECK(quote::xml_text("a & b <c> \"d\" 'e'", &why) == "a &amp; b &lt;c&gt; \"d\" 'e'");
    CHECK(quote::xml_text("l1\nl2\tx\ry", &why) == "l1\nl2\tx&#13;y");
    CHECK_FALSE(quote::xml_text(std::string("a\x01", 2), &why));
    CHECK(why == "it contains the control character 0x01, which XML 1.0 cannot represent");
    CHECK_FALSE(quote::xml_text("\xff", &why));
}
