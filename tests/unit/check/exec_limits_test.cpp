#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "procrun/check.hpp"
#include "procrun/plan.hpp"

using namespace procrun;

namespace {

// A project as the loader would make it from a Procfile and env files.
Project make_project(std::string procfile_text, std::vector<EnvFile> env_files = {},
                     Environment os_env = {}) {
    Project p;
    p.procfile_path = "Procfile";
    p.procfile_text = std::move(procfile_text);
    auto parsed = parse_procfile(p.procfile_text, "Procfile");
    REQUIRE(parsed.ok());
    p.procfile = parsed.value;
    PlanInput input;
    input.procfile = p.procfile;
    input.os_env = std::move(os_env);
    for (const auto& f : env_files) {
        for (const auto& e : f.entries)
            input.file_env.set(e.key, e.value);
    }
    auto plan = make_plan(input);
    REQUIRE(plan.ok());
    p.plan = std::move(plan.value);
    p.env_files = std::move(env_files);
    return p;
}

const ExecLimits kLinux{131072, 2097152};

}  // namespace

TEST_CASE("exec limits: an ordinary project passes", "[check][limits]") {
    const Project p = make_project("web: gunicorn app:app\nworker: python w.py\n",
                                   {EnvFile{".env", {{"A", "1", 1}, {"B", "two", 2}}}},
                                   Environment{{"PATH", "/usr/bin:/bin"}});
    CHECK(check_exec_limits(p, kLinux).empty());
}

TEST_CASE("exec limits: a command over MAX_ARG_STRLEN", "[check][limits]") {
    // `exec COMMAND` and its NUL: 131066 bytes of command fit exactly.
    CHECK(
        check_exec_limits(make_project("web: " + std::string(131066, 'x') + "\n"), kLinux).empty());
    const std::string big(200000, 'x');
    const auto ds = check_exec_limits(make_project("web: true\nbig:   " + big + "\n"), kLinux);
    REQUIRE(ds.size() == 1);
    const Diagnostic& d = ds[0];
    CHECK(d.severity == Severity::error);
    CHECK(d.code == "plan/argument-too-long");
    CHECK(d.where == Location{"Procfile", 2, 8});
    CHECK(d.message ==
          "the command of 'big' is 200000 bytes; the kernel passes at most 131072 bytes per "
          "argument to /bin/sh -c, NUL included");
    CHECK(d.hint == "move the command into a script (e.g. bin/big) and run that");
    CHECK(d.source_line == "big:   " + big);
    // One byte more than fits (a command that is not exec'd is passed as it is).
    CHECK(
        check_exec_limits(make_project("web: " + std::string(131067, 'x') + "\n"), kLinux).size() ==
        1);
    CHECK(check_exec_limits(make_project("web: a;" + std::string(131070, 'x') + "\n"), kLinux)
              .size() == 1);
    CHECK(check_exec_limits(make_project("web: a;" + std::string(131069, 'x') + "\n"), kLinux)
              .empty());
}

TEST_CASE("exec limits: a variable over MAX_ARG_STRLEN is located in its env file",
          "[check][limits]") {
    const std::string value(140000, 'v');
    const Project p = make_project("web: a\nworker: b\n",
                                   {EnvFile{".env", {{"BIG", "small", 1}}},
                                    EnvFile{".env.local", {{"A", "1", 1}, {"BIG", value, 3}}}});
    const auto ds = check_exec_limits(p, kLinux);
    REQUIRE(ds.size() == 1);  // once, not again as an environment too large per process type
    CHECK(ds[0].where == Location{".env.local", 3, 1});
    CHECK(ds[0].message ==
          "variable BIG takes 140005 bytes (set in .env.local:3); the kernel passes at most "
          "131072 bytes per variable, NUL included, so no process could start");
    CHECK(ds[0].hint ==
          "put a large value in a file and pass the file's path in the variable instead");
}

TEST_CASE("exec limits: a process name too long for PS=NAME.N", "[check][limits]") {
    const std::string name(131068, 'n');  // PS= + name + .1 + NUL = 131074
    const auto ds = check_exec_limits(make_project("  " + name + ": run\n"), kLinux);
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].where == Location{"Procfile", 1, 3});
    CHECK(ds[0].message.find("is 131068 bytes: each process gets PS=") != std::string::npos);
    CHECK(ds[0].message.size() < 300);
    CHECK(ds[0].hint == "use a shorter process name");
    CHECK(check_exec_limits(make_project(std::string(131066, 'n') + ": run\n"), kLinux).empty());
}

TEST_CASE("exec limits: argv and envp together over ARG_MAX", "[check][limits]") {
    std::vector<DotenvEntry> entries;
    for (int i = 0; i < 8; ++i)
        entries.push_back({"V" + std::to_string(i), std::string(500, 'v'), i + 1});
    entries.push_back({"LARGEST", std::string(900, 'l'), 9});
    const Project p = make_project("web: a\nworker: b\n", {EnvFile{".env", entries}},
                                   Environment{{"HOME", "/root"}});
    const auto ds = check_exec_limits(p, ExecLimits{131072, 4096});
    REQUIRE(ds.size() == 2);  // one per process type
    CHECK(ds[0].where == Location{"Procfile", 1, 1});
    CHECK(ds[1].where == Location{"Procfile", 2, 1});
    CHECK(ds[0].message.find("'web' cannot start: its command and environment take ") == 0);
    CHECK(ds[0].message.find("over the 4096 bytes execve accepts (ARG_MAX)") != std::string::npos);
    CHECK(ds[0].hint.find("the largest variable is LARGEST (908 bytes, set in .env:9)") == 0);
    CHECK(check_exec_limits(p, ExecLimits{131072, 8192}).empty());
}

TEST_CASE("exec limits: a type's own env counts for that type only", "[check][limits][pertype]") {
    Project p;
    p.procfile_path = "Procfile";
    p.procfile_text = "web: a\nworker: b\n";
    auto parsed = parse_procfile(p.procfile_text, "Procfile");
    REQUIRE(parsed.ok());
    p.procfile = parsed.value;
    PlanInput input;
    input.procfile = p.procfile;
    input.file_env = Environment{{"SMALL", "1"}};
    Lifecycle web;
    web.env = {TypeVariable{"BULK", std::string(3000, 'b'), Location{".procrun.yaml", 4, 7}},
               TypeVariable{"HUGE", std::string(140000, 'h'), Location{".procrun.yaml", 5, 7}}};
    input.lifecycles["web"] = web;
    auto plan = make_plan(input);
    REQUIRE(plan.ok());
    p.plan = std::move(plan.value);

    // HUGE is over MAX_ARG_STRLEN: located at its line under env:.
    auto ds = check_exec_limits(p, kLinux);
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].where == Location{".procrun.yaml", 5, 7});
    CHECK(ds[0].message.find("variable HUGE takes 140006 bytes (set in .procrun.yaml:5)") == 0);

    // Without it, BULK pushes web alone over a small ARG_MAX: the upper bound
    // counts a type's own variables.
    p.plan.types[0].env.erase("HUGE");
    p.plan.types[0].lifecycle.env.pop_back();
    ds = check_exec_limits(p, ExecLimits{131072, 2048});
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].where == Location{"Procfile", 1, 1});
    CHECK(ds[0].hint.find("the largest variable is BULK (3005 bytes, set in .procrun.yaml:4)") ==
          0);
}
