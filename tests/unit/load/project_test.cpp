#include "procrun/project.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>
#include "skip.hpp"

using namespace procrun;
namespace fs = std::filesystem;

namespace {

// A temporary directory, removed on destruction; the current directory is
// moved into it for the test's lifetime and restored after.
class Sandbox {
  public:
    Sandbox() : old_cwd_(fs::current_path()) {
        std::string tmpl = (fs::temp_directory_path() / "procrun-project-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = fs::canonical(tmpl);
        fs::current_path(path_);
    }
    ~Sandbox() {
        std::error_code ec;
        fs::current_path(old_cwd_, ec);
        fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path_, ec);
    }
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;

    [[nodiscard]] const fs::path& path() const { return path_; }

    void write(const std::string& relative, const std::string& content) const {
        const fs::path p = path_ / relative;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << content;
    }

  private:
    fs::path old_cwd_;
    fs::path path_;
};

Sourced<std::string> cli(std::string value) {
    return Sourced<std::string>{std::move(value), Location{"command line", 0, 0}};
}

Parsed<Project> load(const LoadOptions& options = {}, const Environment& os = {}) {
    return load_project(options, os);
}

std::vector<std::string> instance_names(const Project& p) {
    std::vector<std::string> out;
    for (const auto& i : p.plan.instances)
        out.push_back(i.name);
    return out;
}

std::string codes(const std::vector<Diagnostic>& ds) {
    std::string out;
    for (const auto& d : ds)
        out += d.code + " ";
    return out;
}

}  // namespace

TEST_CASE("Loader: Procfile and .env in the current directory", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: puma -p $PORT\nworker: sidekiq\n");
    box.write(".env", "GREETING=hello\nPORT=6000\n");
    const auto loaded = load({}, Environment{{"PATH", "/bin"}});
    INFO(codes(loaded.diagnostics));
    REQUIRE(loaded.diagnostics.empty());
    const Project& p = loaded.value;
    CHECK(p.root == box.path());
    CHECK(p.procfile_path == "Procfile");
    CHECK(p.procfile.file == "Procfile");
    CHECK(p.procfile_text == "web: puma -p $PORT\nworker: sidekiq\n");
    CHECK_FALSE(p.config_path);
    REQUIRE(p.env_files.size() == 1);
    CHECK(p.env_files[0].path == ".env");
    CHECK(p.env_files[0].entries.size() == 2);
    CHECK(instance_names(p) == std::vector<std::string>{"web.1", "worker.1"});
    CHECK(p.plan.base_port == 6000);
    CHECK(p.plan.instances[1].port == 6100);
    CHECK(
        p.plan.environment_of(p.plan.instances[1]) ==
        Environment{{"PATH", "/bin"}, {"GREETING", "hello"}, {"PORT", "6100"}, {"PS", "worker.1"}});
    CHECK(p.plan.root == box.path());
}

TEST_CASE("Loader: --procfile sets the root to the Procfile's directory", "[project]") {
    Sandbox box;
    box.write("app/Procfile.dev", "web: a\n");
    box.write("app/.env", "FROM=app\n");
    box.write(".env", "FROM=cwd\n");
    LoadOptions options;
    options.cli.procfile = cli("app/Procfile.dev");
    const auto loaded = load(options);
    REQUIRE(loaded.diagnostics.empty());
    CHECK(loaded.value.root == box.path() / "app");
    CHECK(loaded.value.procfile_path == "app/Procfile.dev");
    REQUIRE(loaded.value.env_files.size() == 1);
    CHECK(loaded.value.env_files[0].path == "app/.env");
    CHECK(loaded.value.plan.file_env.get("FROM") == "app");
}

TEST_CASE("Loader: --root", "[project]") {
    Sandbox box;
    box.write("srv/Procfile", "web: a\n");
    LoadOptions options;
    options.cli.root = cli("srv");
    const auto loaded = load(options);
    REQUIRE(loaded.diagnostics.empty());
    CHECK(loaded.value.root == box.path() / "srv");
    CHECK(loaded.value.procfile_path == "srv/Procfile");

    options.cli.root = cli("nope");
    const auto missing = load(options);
    REQUIRE(missing.diagnostics.size() == 1);
    CHECK(missing.diagnostics[0].code == "project/root-not-found");
    CHECK(missing.diagnostics[0].where.file == "--root");
    CHECK(missing.diagnostics[0].message == "root directory 'nope' does not exist");

    options.cli.root = cli("srv/Procfile");
    const auto file = load(options);
    REQUIRE(file.diagnostics.size() == 1);
    CHECK(file.diagnostics[0].code == "project/root-not-a-directory");
}

TEST_CASE("Loader: paths outside the current directory are shown absolute", "[project]") {
    Sandbox box;
    box.write("a/Procfile", "web: a\n");
    fs::create_directories(box.path() / "b");
    fs::current_path(box.path() / "b");
    LoadOptions options;
    options.cli.procfile = cli("../a/Procfile");
    const auto loaded = load(options);
    REQUIRE(loaded.diagnostics.empty());
    CHECK(loaded.value.procfile_path == (box.path() / "a/Procfile").string());
}

TEST_CASE("Loader: a missing Procfile and its near misses", "[project]") {
    Sandbox box;
    const std::string here = "the current directory (" + box.path().string() + ")";

    SECTION("nothing at all") {
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/not-found");
        CHECK(loaded.diagnostics[0].where.file == "Procfile");
        CHECK(loaded.diagnostics[0].message == "no Procfile in " + here);
    }
    SECTION("a near miss is named") {
        box.write("procfile.txt", "web: a\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/near-miss");
        CHECK(loaded.diagnostics[0].message ==
              "no Procfile in " + here + ", but found 'procfile.txt'");
        CHECK(loaded.diagnostics[0].hint ==
              "the platform needs a file named exactly `Procfile` (capital P, no extension); "
              "rename it: mv 'procfile.txt' Procfile");
    }
    SECTION("several near misses, best first") {
        box.write("Procfile.dev", "web: a\n");
        box.write("PROCFILE", "web: a\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].message ==
              "no Procfile in " + here + ", but found 'PROCFILE', 'Procfile.dev'");
    }
    SECTION("a Procfile.dev-style name suggests -f") {
        box.write("Procfile.development", "web: a\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].hint ==
              "the platform needs a file named exactly `Procfile` (capital P, no extension); "
              "rename it to Procfile, or pass it with -f Procfile.development");
    }
    SECTION("an explicit path that does not exist") {
        LoadOptions options;
        options.cli.procfile = cli("Procfile.prod");
        const auto loaded = load(options);
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/not-found");
        CHECK(loaded.diagnostics[0].where.file == "--procfile");
        CHECK(loaded.diagnostics[0].message == "Procfile 'Procfile.prod' does not exist");
    }
    SECTION("not required (procrun run CMD)") {
        LoadOptions options;
        options.require_procfile = false;
        box.write(".env", "A=1\n");
        const auto loaded = load(options);
        REQUIRE(loaded.diagnostics.empty());
        CHECK(loaded.value.procfile.entries.empty());
        CHECK(loaded.value.plan.instances.empty());
        CHECK(loaded.value.plan.file_env.get("A") == "1");
    }
}

TEST_CASE("procfile_near_misses ranks exact names first", "[project]") {
    Sandbox box;
    for (const char* name : {"procfile.yml", "Procfile.txt", "procfile", "README", "Procfile",
                             "Procfile.py", "my-procfile"}) {
        box.write(name, "web: a\n");
    }
    fs::create_directories(box.path() / "PROCFILE");  // a directory is not a near miss
    CHECK(procfile_near_misses(box.path()) ==
          std::vector<std::string>{"procfile", "Procfile.py", "Procfile.txt", "procfile.yml"});
    CHECK(procfile_near_misses(box.path() / "absent").empty());
}

TEST_CASE("Loader: Procfile that is a directory, empty, or only comments", "[project]") {
    Sandbox box;
    SECTION("directory") {
        fs::create_directories(box.path() / "Procfile");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/is-directory");
        CHECK(loaded.diagnostics[0].message == "'Procfile' is a directory, not a Procfile");
    }
    SECTION("directory holding a Procfile") {
        box.write("Procfile/Procfile", "web: a\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].hint ==
              "to use the Procfile inside it, pass -f Procfile/Procfile or -d Procfile");
    }
    SECTION("empty") {
        box.write("Procfile", "");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/empty");
        CHECK(loaded.diagnostics[0].where.file == "Procfile");
    }
    SECTION("only comments") {
        box.write("Procfile", "# web: a\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/no-processes");
    }
    SECTION("unreadable") {
        if (geteuid() == 0) {
            PROCRUN_SKIP("running as root: file permissions do not stop reads");
        }
        box.write("Procfile", "web: a\n");
        fs::permissions(box.path() / "Procfile", fs::perms::none);
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/unreadable");
        CHECK(loaded.diagnostics[0].message == "cannot read 'Procfile': Permission denied");
    }
}

TEST_CASE("Loader: env files", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: a\n");
    box.write(".env", "DEFAULT=1\n");
    box.write("a.env", "A=from-a\nSHARED=a\nHOME_COPY=$HOME\n");
    box.write("b.env", "SHARED=b\nB=${A}-and-b\nUSER=b-user\n");
    const Environment os{{"HOME", "/home/me"}, {"USER", "me"}, {"SHARED", "os"}};

    SECTION("named files replace the default; later files win; files win over the OS") {
        LoadOptions options;
        options.cli.env_files =
            Sourced<std::vector<std::string>>{{"a.env", "b.env"}, Location{"command line", 0, 0}};
        const auto loaded = load(options, os);
        INFO(codes(loaded.diagnostics));
        REQUIRE(loaded.diagnostics.empty());
        const Project& p = loaded.value;
        REQUIRE(p.env_files.size() == 2);
        CHECK(p.env_files[0].path == "a.env");
        CHECK(p.env_files[1].path == "b.env");
        CHECK(p.plan.file_env == Environment{{"A", "from-a"},
                                             {"SHARED", "b"},
                                             {"HOME_COPY", "/home/me"},
                                             {"B", "from-a-and-b"},
                                             {"USER", "b-user"}});
        const Environment env = p.plan.environment_of(p.plan.instances[0]);
        CHECK(env.get("USER") == "b-user");
        CHECK(env.get("SHARED") == "b");
        CHECK(env.get("HOME") == "/home/me");
        CHECK(env.get("DEFAULT") == std::nullopt);
    }
    SECTION("a named file that does not exist") {
        LoadOptions options;
        options.cli.env_files = Sourced<std::vector<std::string>>{{"a.env", "missing.env"},
                                                                  Location{"command line", 0, 0}};
        const auto loaded = load(options, os);
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "env/not-found");
        CHECK(loaded.diagnostics[0].where.file == "--env");
        CHECK(loaded.diagnostics[0].message == "env file 'missing.env' does not exist");
    }
    SECTION("errors in an env file are reported with the Procfile's") {
        box.write("Procfile", "web : a\n");
        box.write(".env", "OK=1\nnot an assignment\n");
        const auto loaded = load({}, os);
        REQUIRE(loaded.diagnostics.size() == 2);
        CHECK(loaded.diagnostics[0].where.file == "Procfile");
        CHECK(loaded.diagnostics[1].where.file == ".env");
        CHECK(loaded.diagnostics[1].where.line == 2);
    }
    SECTION("a non-numeric PORT is located in its env file") {
        box.write(".env", "A=1\nPORT=abc\n");
        const auto loaded = load({}, os);
        REQUIRE(loaded.diagnostics.size() == 1);
        const Diagnostic& d = loaded.diagnostics[0];
        CHECK(d.code == "env/invalid-port");
        CHECK(d.where.file == ".env");
        CHECK(d.where.line == 2);
        CHECK(d.source_line == "PORT=abc");
        CHECK(d.where.column == 6);
        CHECK(d.message == "PORT is not a port number (1-65535): 'abc'");
    }
    SECTION("a non-numeric PORT in the OS environment") {
        const auto loaded = load({}, Environment{{"PORT", "x"}});
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].where.file == "environment");
        CHECK(loaded.diagnostics[0].message ==
              "PORT in the environment is not a port number (1-65535): 'x'");
    }
    SECTION("--port wins over PORT") {
        LoadOptions options;
        options.cli.port = Sourced<int>{7000, Location{"command line", 0, 0}};
        box.write(".env", "PORT=abc\n");
        const auto loaded = load(options, os);
        REQUIRE(loaded.diagnostics.empty());
        CHECK(loaded.value.plan.instances[0].port == 7000);
    }
}

TEST_CASE("Loader: formation and selected process types", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: a\nworker: b\n");
    LoadOptions options;
    options.cli.formation = cli("web=2,wrker=1");
    const auto bad = load(options);
    REQUIRE(bad.diagnostics.size() == 1);
    const Diagnostic& d = bad.diagnostics[0];
    CHECK(d.code == "formation/unknown-process");
    CHECK(d.where.file == "--formation");
    CHECK(d.where.column == 7);
    CHECK(d.source_line == "web=2,wrker=1");
    CHECK(d.hint == "did you mean 'worker'? the Procfile defines: web, worker");

    options.cli.formation = cli("web=2,worker=x");
    const auto nan = load(options);
    REQUIRE(nan.diagnostics.size() == 1);
    CHECK(nan.diagnostics[0].code == "formation/not-a-number");

    options.cli.formation = cli("web=2");
    options.selected = {"web"};
    const auto ok = load(options);
    REQUIRE(ok.diagnostics.empty());
    CHECK(instance_names(ok.value) == std::vector<std::string>{"web.1", "web.2"});

    options.selected = {"clock"};
    const auto unknown = load(options);
    REQUIRE(unknown.diagnostics.size() == 1);
    CHECK(unknown.diagnostics[0].code == "plan/unknown-process");
}

TEST_CASE("Loader: .procrun.yaml and its precedence", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: a\nworker: b\n");
    box.write("deploy/Procfile", "release: r\n");
    box.write("local.env", "X=1\n");
    box.write(".procrun.yaml",
              "formation:\n  all: 1\n  web: 2\nport: 3000\ntimeout: 9\nenv: local.env\n");

    SECTION("the config file applies") {
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.empty());
        const Project& p = loaded.value;
        CHECK(p.config_path == ".procrun.yaml");
        CHECK(instance_names(p) == std::vector<std::string>{"web.1", "web.2", "worker.1"});
        CHECK(p.plan.base_port == 3000);
        CHECK(p.plan.timeout == std::chrono::seconds(9));
        CHECK(p.plan.file_env.get("X") == "1");
        CHECK(p.settings.port->where.file == ".procrun.yaml");
    }
    SECTION("the command line wins") {
        LoadOptions options;
        options.cli.port = Sourced<int>{4000, Location{"command line", 0, 0}};
        options.cli.formation = cli("worker=3");
        const auto loaded = load(options);
        REQUIRE(loaded.diagnostics.empty());
        // The command line's formation replaces the file's; it names only worker.
        CHECK(instance_names(loaded.value) ==
              std::vector<std::string>{"worker.1", "worker.2", "worker.3"});
        CHECK(loaded.value.plan.base_port == 4000);
        CHECK(loaded.value.plan.timeout == std::chrono::seconds(9));
    }
    SECTION("unknown formation names point into the config file") {
        box.write(".procrun.yaml", "port: 3000\nformation:\n  web: 2\n  wrker: 1\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        const Diagnostic& d = loaded.diagnostics[0];
        CHECK(d.code == "formation/unknown-process");
        CHECK(d.where.file == ".procrun.yaml");
        CHECK(d.where.line == 4);
        CHECK(d.where.column == 3);
        CHECK(d.source_line == "  wrker: 1");
    }
    SECTION("a formation string in the config file is located by column") {
        box.write(".procrun.yaml", "formation: \"web=2,wrker=1\"\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].where.line == 1);
        CHECK(loaded.diagnostics[0].where.column == 19);
    }
    SECTION("paths in the config file are relative to it") {
        box.write("sub/.procrun.yaml", "procfile: ../deploy/Procfile\nenv: [../local.env]\n");
        LoadOptions options;
        options.cli.root = cli("sub");
        const auto loaded = load(options);
        REQUIRE(loaded.diagnostics.empty());
        CHECK(loaded.value.procfile_path == "deploy/Procfile");
        CHECK(loaded.value.config_path == "sub/.procrun.yaml");
        CHECK(instance_names(loaded.value) == std::vector<std::string>{"release.1"});
        CHECK(loaded.value.plan.file_env.get("X") == "1");
    }
    SECTION("a missing env file named in the config file points at its line") {
        box.write(".procrun.yaml", "port: 3000\nenv: [nope.env]\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].where.file == ".procrun.yaml");
        CHECK(loaded.diagnostics[0].where.line == 2);
        CHECK(loaded.diagnostics[0].message == "env file 'nope.env' does not exist");
    }
    SECTION("config errors are reported with the rest") {
        box.write(".procrun.yaml", "prot: 3000\n");
        box.write("Procfile", "web: a\nweb: b\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 2);
        CHECK(loaded.diagnostics[0].code == "config/unknown-key");
        CHECK(loaded.diagnostics[1].code == "procfile/duplicate-name");
    }
    SECTION("strict from the config file") {
        box.write(".procrun.yaml", "strict: true\n");
        box.write("Procfile", "Web: a\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/strict-name");
    }
}

TEST_CASE("Loader: foreman's .foreman", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: a\nworker: b\n");
    box.write(".foreman", "concurrency: web=1,worker=2\nport: 5100\n");
    const auto loaded = load();
    REQUIRE(loaded.diagnostics.empty());
    CHECK(loaded.value.config_path == ".foreman");
    CHECK(instance_names(loaded.value) ==
          std::vector<std::string>{"web.1", "worker.1", "worker.2"});
    CHECK(loaded.value.plan.instances[2].port == 5201);

    box.write(".procrun.yaml", "port: 6000\n");
    const auto both = load();
    REQUIRE(both.diagnostics.size() == 1);
    CHECK(both.diagnostics[0].severity == Severity::warning);
    CHECK(both.diagnostics[0].code == "config/foreman-ignored");
    CHECK(both.ok());
    CHECK(both.value.plan.base_port == 6000);
}

TEST_CASE("Loader: names are still checked when the Procfile has errors", "[project]") {
    Sandbox box;
    box.write("Procfile", "web : a\nworker: b\n");
    LoadOptions options;
    options.cli.formation = cli("web=2,wrker=1");
    options.selected = {"web", "clock"};
    const auto loaded = load(options);
    REQUIRE(loaded.diagnostics.size() == 3);
    CHECK(loaded.diagnostics[0].code == "procfile/space-before-colon");
    CHECK(loaded.diagnostics[1].code == "formation/unknown-process");
    CHECK(loaded.diagnostics[1].message == "unknown process type 'wrker' in the formation");
    CHECK(loaded.diagnostics[1].hint == "did you mean 'worker'? the Procfile defines: worker");
    CHECK(loaded.diagnostics[2].code == "plan/unknown-process");
    CHECK(loaded.diagnostics[2].message == "unknown process type 'clock'");
    CHECK(loaded.value.plan.instances.empty());
}

namespace {

template <class T>
Sourced<T> from_cli(T value) {
    return Sourced<T>{std::move(value), Location{"command line", 0, 0}};
}

}  // namespace

TEST_CASE("Loader: processes: from .procrun.yaml reach the plan", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: puma\ndb: postgres\nworker: sidekiq\n");
    box.write(".procrun.yaml",
              "processes:\n"
              "  web:\n"
              "    restart: always\n"
              "    depends_on: {db: ready}\n"
              "  db:\n"
              "    readiness: {tcp: true}\n");
    LoadOptions options;
    options.selected = {"web"};
    const auto loaded = load(options);
    INFO(codes(loaded.diagnostics));
    REQUIRE(loaded.ok());
    const Plan& plan = loaded.value.plan;
    CHECK(instance_names(loaded.value) == std::vector<std::string>{"web.1", "db.1"});
    CHECK(plan.find_type("web")->lifecycle.restart == RestartPolicy::always);
    REQUIRE(plan.find_type("web")->lifecycle.depends_on.size() == 1);
    const Dependency& dep = plan.find_type("web")->lifecycle.depends_on[0];
    CHECK(dep.where.file == ".procrun.yaml");
    CHECK(dep.where.line == 4);
    CHECK(plan.instances[1].lifecycle->readiness.kind == ProbeKind::tcp);
    CHECK(plan.find_type("worker")->lifecycle == Lifecycle{});
    REQUIRE(loaded.diagnostics.size() == 1);
    CHECK(loaded.diagnostics[0].message == "starting 'db' too: 'web' depends on it");
}

TEST_CASE("Loader: lifecycle errors of the plan show the config file's line", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: puma\ndb: postgres\n");
    box.write(".procrun.yaml",
              "port: 6000\n"
              "processes:\n"
              "  wbe: {restart: always}\n"
              "  db:\n"
              "    depends_on: [db]\n");
    const auto loaded = load();
    REQUIRE(loaded.diagnostics.size() == 2);
    const Diagnostic& unknown = loaded.diagnostics[0];
    CHECK(unknown.code == "plan/unknown-process");
    CHECK(unknown.where.file == ".procrun.yaml");
    CHECK(unknown.where.line == 3);
    CHECK(unknown.where.column == 3);
    CHECK(unknown.source_line == "  wbe: {restart: always}");
    CHECK(unknown.hint == "did you mean 'web'? the Procfile defines: web, db");
    const Diagnostic& self = loaded.diagnostics[1];
    CHECK(self.message == "'db' depends on itself");
    CHECK(self.where.line == 5);
    CHECK(self.where.column == 18);
    CHECK(self.source_line == "    depends_on: [db]");
    CHECK(format_human(self, false) ==
          ".procrun.yaml:5:18: error: 'db' depends on itself\n"
          " 5 |     depends_on: [db]\n"
          "   |                  ^\n"
          "hint: remove it from its own depends_on\n");
}

TEST_CASE("Loader: the command line's shorthands over processes:", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: puma\nworker: sidekiq\nclock: clockwork\n");
    box.write(".procrun.yaml",
              "processes:\n"
              "  web: {restart: always, stop_signal: INT}\n"
              "  clock: {restart: always}\n");
    LoadOptions options;
    options.cli.restart = from_cli(std::vector<RestartOverride>{{"", RestartPolicy::on_failure},
                                                                {"clock", RestartPolicy::no}});
    options.cli.can_die = from_cli(std::vector<std::string>{"worker"});
    options.cli.exit_with = from_cli(std::vector<std::string>{"clock"});
    options.cli.pty = from_cli(true);
    const auto loaded = load(options);
    INFO(codes(loaded.diagnostics));
    REQUIRE(loaded.diagnostics.empty());
    const Plan& plan = loaded.value.plan;
    const Lifecycle& web = plan.find_type("web")->lifecycle;
    CHECK(web.restart == RestartPolicy::on_failure);
    CHECK(web.stop_signal == SIGINT);  // the file's other settings stay
    CHECK(web.pty);
    const Lifecycle& worker = plan.find_type("worker")->lifecycle;
    CHECK(worker.restart == RestartPolicy::on_failure);
    CHECK(worker.can_die);
    CHECK(worker.pty);
    const Lifecycle& clock = plan.find_type("clock")->lifecycle;
    CHECK(clock.restart == RestartPolicy::no);
    CHECK(clock.exit_with);
    CHECK(plan.instances[2].lifecycle == clock);

    // Later --restart values win.
    options.cli.restart = from_cli(
        std::vector<RestartOverride>{{"clock", RestartPolicy::no}, {"", RestartPolicy::always}});
    options.cli.exit_with.reset();
    const auto later = load(options);
    REQUIRE(later.ok());
    CHECK(later.value.plan.find_type("clock")->lifecycle.restart == RestartPolicy::always);
}

TEST_CASE("Loader: shorthands naming no process type", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: puma\nworker: sidekiq\n");
    LoadOptions options;
    options.cli.can_die = from_cli(std::vector<std::string>{"wrker", "web"});
    options.cli.exit_with = from_cli(std::vector<std::string>{"scheduler"});
    options.cli.restart = from_cli(std::vector<RestartOverride>{{"clock", RestartPolicy::always}});
    const auto loaded = load(options);
    REQUIRE(loaded.diagnostics.size() == 3);
    CHECK(loaded.diagnostics[0].message == "unknown process type 'clock' in --restart");
    CHECK(loaded.diagnostics[1].message == "unknown process type 'wrker' in --can-die");
    CHECK(loaded.diagnostics[1].hint == "did you mean 'worker'? the Procfile defines: web, worker");
    CHECK(loaded.diagnostics[1].where.file == "command line");
    CHECK(loaded.diagnostics[1].where.line == 0);
    CHECK(loaded.diagnostics[2].message == "unknown process type 'scheduler' in --exit-with");
    CHECK(loaded.diagnostics[2].hint == "the Procfile defines: web, worker");
    CHECK(loaded.diagnostics[2].code == "plan/unknown-process");
    CHECK_FALSE(loaded.ok());
    CHECK(loaded.value.plan.instances.empty());
}

TEST_CASE("Loader: a shorthand that conflicts with the file is the plan's error", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: puma\n");
    box.write(".procrun.yaml", "processes:\n  web: {exit_with: true}\n");
    LoadOptions options;
    options.cli.can_die = from_cli(std::vector<std::string>{"web"});
    const auto loaded = load(options);
    REQUIRE(loaded.diagnostics.size() == 1);
    CHECK(loaded.diagnostics[0].code == "plan/can-die-and-exit-with");
    CHECK(loaded.diagnostics[0].where.line == 2);
    CHECK(loaded.diagnostics[0].source_line == "  web: {exit_with: true}");
}

TEST_CASE("Loader: a .env that is there but cannot be read is an error, never skipped",
          "[project]") {
    Sandbox box;
    box.write("Procfile", "web: a\n");

    SECTION("no .env at all: nothing to say") {
        const auto loaded = load();
        CHECK(loaded.diagnostics.empty());
        CHECK(loaded.value.env_files.empty());
    }
    SECTION("a link to nothing") {
        fs::create_symlink("shared/missing.env", box.path() / ".env");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        const Diagnostic& d = loaded.diagnostics[0];
        CHECK(d.code == "env/dangling-symlink");
        CHECK(d.where.file == ".env");
        CHECK(d.message ==
              "env file '.env' is a symbolic link to 'shared/missing.env', which does not exist");
        CHECK_FALSE(loaded.ok());
    }
    SECTION("a loop of links") {
        fs::create_symlink("b.env", box.path() / ".env");
        fs::create_symlink(".env", box.path() / "b.env");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "env/symlink-loop");
        CHECK(loaded.diagnostics[0].message == "env file '.env' is a symbolic link loop");
    }
    SECTION("a directory") {
        fs::create_directories(box.path() / ".env");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "env/not-a-file");
        CHECK(loaded.diagnostics[0].message == "env file '.env' is a directory");
    }
    SECTION("a link to a file is read") {
        box.write("shared/app.env", "A=1\n");
        fs::create_symlink("shared/app.env", box.path() / ".env");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.empty());
        CHECK(loaded.value.plan.file_env.get("A") == "1");
    }
    SECTION("a named file that is a link to nothing points at the option") {
        fs::create_symlink("nowhere.env", box.path() / "local.env");
        LoadOptions options;
        options.cli.env_files =
            Sourced<std::vector<std::string>>{{"local.env"}, Location{"command line", 0, 0}};
        const auto loaded = load(options);
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "env/dangling-symlink");
        CHECK(loaded.diagnostics[0].where.file == "--env");
    }
}

TEST_CASE("Loader: a Procfile or config file behind a broken link says so", "[project]") {
    Sandbox box;
    SECTION("a Procfile link loop is not 'no Procfile'") {
        fs::create_symlink("Procfile", box.path() / "Procfile");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/symlink-loop");
        CHECK(loaded.diagnostics[0].message == "'Procfile' is a symbolic link loop");
    }
    SECTION("a Procfile link to nothing") {
        fs::create_symlink("deploy/Procfile", box.path() / "Procfile");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/dangling-symlink");
        CHECK(loaded.diagnostics[0].message ==
              "'Procfile' is a symbolic link to 'deploy/Procfile', which does not exist");
    }
    SECTION("a dangling Procfile link is an error for run too") {
        fs::create_symlink("deploy/Procfile", box.path() / "Procfile");
        LoadOptions options;
        options.require_procfile = false;
        options.run_word = "true";
        CHECK(load(options).diagnostics.size() == 1);
    }
    SECTION("a config file link to nothing") {
        box.write("Procfile", "web: a\n");
        fs::create_symlink("shared/procrun.yaml", box.path() / ".procrun.yaml");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "config/dangling-symlink");
        CHECK(loaded.diagnostics[0].where.file == ".procrun.yaml");
    }
}

TEST_CASE("Loader: files over the size limit are refused", "[project]") {
    Sandbox box;
    const std::string line = "# " + std::string(1021, 'x') + "\n";  // 1 KiB
    std::string big;
    big.reserve(kMaxProjectFileSize + line.size());
    while (big.size() <= kMaxProjectFileSize)
        big += line;
    SECTION("Procfile") {
        box.write("Procfile", "web: a\n" + big);
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "procfile/too-large");
        CHECK(loaded.diagnostics[0].message ==
              "'Procfile' is 16.0 MiB; procrun reads files of at most 16.0 MiB");
        CHECK(loaded.value.procfile_text.empty());
    }
    SECTION(".env") {
        box.write("Procfile", "web: a\n");
        box.write(".env", big);
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "env/too-large");
    }
    SECTION(".procrun.yaml") {
        box.write("Procfile", "web: a\n");
        box.write(".procrun.yaml", big);
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].code == "config/too-large");
    }
    SECTION("just under the limit is read") {
        big.resize(kMaxProjectFileSize - 7);
        big.back() = '\n';
        box.write("Procfile", "web: a\n" + big);
        const auto loaded = load();
        CHECK(loaded.diagnostics.empty());
        CHECK(loaded.value.procfile_text.size() == kMaxProjectFileSize);
    }
}

TEST_CASE("Loader: an inherited PORT does not matter to run COMMAND", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: a\n");
    LoadOptions options;
    options.require_procfile = false;
    options.run_word = "env";
    const auto cmd = load(options, Environment{{"PORT", "abc"}});
    CHECK(cmd.diagnostics.empty());
    options.run_word = "web";
    const auto type = load(options, Environment{{"PORT", "abc"}});
    REQUIRE(type.diagnostics.size() == 1);
    CHECK(type.diagnostics[0].code == "env/invalid-port");
}

TEST_CASE("Loader: the formation is read once, from the command line or the file", "[project]") {
    Sandbox box;
    box.write("Procfile", "web: a\nworker: b\nclock: c\n");
    SECTION("a mapping in the config file, named types only") {
        box.write(".procrun.yaml", "formation:\n  worker: 2\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.empty());
        CHECK(instance_names(loaded.value) == std::vector<std::string>{"worker.1", "worker.2"});
    }
    SECTION("a string in the config file, with all") {
        box.write(".procrun.yaml", "formation: all=1,worker=2\n");
        const auto loaded = load();
        REQUIRE(loaded.diagnostics.empty());
        CHECK(instance_names(loaded.value) ==
              std::vector<std::string>{"web.1", "worker.1", "worker.2", "clock.1"});
    }
    SECTION("the command line") {
        LoadOptions options;
        options.cli.formation = cli("clock=1");
        CHECK(instance_names(load(options).value) == std::vector<std::string>{"clock.1"});
    }
}
