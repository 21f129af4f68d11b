// A process type's env, env_file and working_dir in .procrun.yaml.

#include <catch2/catch.hpp>

#include <string>

#include "procrun/config.hpp"

using namespace procrun;

namespace {

const Diagnostic* find_code(const std::vector<Diagnostic>& ds, const std::string& code) {
    for (const auto& d : ds) {
        if (d.code == code)
            return &d;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("Config: a type's env, env_file and working_dir", "[config][pertype]") {
    const std::string text =
        "processes:\n"
        "  api:\n"
        "    env:\n"
        "      LOG_LEVEL: debug\n"
        "      WORKERS: 4\n"
        "      EMPTY: ''\n"
        "      PATHS: ./bin:${PATH}\n"
        "    env_file: [.env.api, config/api.env]\n"
        "    working_dir: services/api\n"
        "  web:\n"
        "    env_file: .env.web\n";
    const auto parsed = parse_config(text, ".procrun.yaml");
    REQUIRE(parsed.diagnostics.empty());
    const Lifecycle& api = parsed.value.processes.at("api").value;
    REQUIRE(api.env.size() == 4);
    CHECK(api.env[0] == TypeVariable{"LOG_LEVEL", "debug", Location{".procrun.yaml", 4, 7}});
    CHECK(api.env[1].value == "4");
    CHECK(api.env[2].value.empty());
    CHECK(api.env[3].value == "./bin:${PATH}");  // as written
    REQUIRE(api.env_files.size() == 2);
    CHECK(api.env_files[0] == ConfigPath{".env.api", Location{".procrun.yaml", 8, 16}});
    CHECK(api.env_files[1].path == "config/api.env");
    REQUIRE(api.working_dir);
    CHECK(*api.working_dir == ConfigPath{"services/api", Location{".procrun.yaml", 9, 18}});
    const Lifecycle& web = parsed.value.processes.at("web").value;
    REQUIRE(web.env_files.size() == 1);
    CHECK(web.env_files[0].path == ".env.web");
}

TEST_CASE("Config: bad env, env_file and working_dir are located errors", "[config][pertype]") {
    struct Case {
        std::string yaml;  // under processes: web:
        std::string code;
        int line;
        int column;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"    env: [A=1]\n", "config/wrong-type", 3, 10, ""},
        {"    env:\n      1BAD: x\n", "config/env-name", 4, 7,
         "'1BAD' is not an environment variable name"},
        {"    env:\n      A-B: x\n", "config/env-name", 4, 7, ""},
        {"    env:\n      PORT: 3000\n", "config/env-reserved", 4, 7,
         "PORT is set by procrun for each instance and cannot be set in env"},
        {"    env:\n      PS: x\n", "config/env-reserved", 4, 7, ""},
        {"    env:\n      A:\n", "config/wrong-type", 4, 7, ""},
        {"    env:\n      A: [1, 2]\n", "config/wrong-type", 4, 10, ""},
        {"    env:\n      A: 1\n      A: 2\n", "config/duplicate-key", 5, 7, ""},
        {"    env_file: {a: b}\n", "config/wrong-type", 3, 15, ""},
        {"    env_file: ''\n", "config/wrong-type", 3, 15, ""},
        {"    working_dir: /srv/api\n", "config/working-dir-absolute", 3, 18,
         "working_dir '/srv/api' is an absolute path"},
        {"    working_dir: api/../../x\n", "config/working-dir-outside", 3, 18,
         "working_dir 'api/../../x' leads out of the root"},
        {"    working_dir: ..\n", "config/working-dir-outside", 3, 18, ""},
        {"    working_dir: [a]\n", "config/wrong-type", 3, 18, ""},
    };
    for (const auto& c : cases) {
        INFO(c.yaml);
        const auto parsed = parse_config("processes:\n  web:\n" + c.yaml, ".procrun.yaml");
        const Diagnostic* d = find_code(parsed.diagnostics, c.code);
        REQUIRE(d != nullptr);
        CHECK(d->severity == Severity::error);
        CHECK(d->where.line == c.line);
        CHECK(d->where.column == c.column);
        if (!c.message.empty())
            CHECK(d->message == c.message);
    }
    // Inside the root is fine, however it is written.
    const auto ok = parse_config("processes:\n  web:\n    working_dir: ./a/../b/\n", "f");
    CHECK(ok.diagnostics.empty());
}
