// procrun export on the command line: formats, options, the writer's output
// and clean-up, templates and errors.

#include <sys/stat.h>

#include <algorithm>

#include "export_support.hpp"

namespace {

using namespace procrun::test;
using namespace procrun::test::exporting;

fs::path simple_project(TempDir& dir, const std::string& name = "myapp") {
    dir.write(name + "/Procfile", "web: serve --port $PORT\nworker: work\n");
    dir.write(name + "/.env", "MODE=prod\n");
    return dir.path() / name;
}

std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        out.push_back(e.path().lexically_relative(dir).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST_CASE("export without a known format lists the formats and exits 2", "[e2e][export]") {
    TempDir dir;
    const fs::path root = simple_project(dir);
    const RunResult r = export_to(root, {"systemv", (dir.path() / "out").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err ==
          "procrun export: unknown format 'systemv'\nknown formats: systemd, supervisord, runit, "
          "launchd, upstart, inittab, compose, kubernetes\n");
    CHECK_FALSE(fs::exists(dir.path() / "out"));

    const RunResult missing = export_to(root, {});
    CHECK(missing.exit_code == 2);
}

TEST_CASE("export prints every path it writes and the app defaults to the root's name",
          "[e2e][export]") {
    TempDir dir;
    const fs::path root = simple_project(dir, "blog");
    const fs::path out = dir.path() / "out";
    const RunResult r = export_to(root, {"systemd", out.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "wrote " + (out / "blog-web-1.service").string() + "\nwrote " +
                       (out / "blog-web-1.env").string() + "\nwrote " +
                       (out / "blog-web.target").string() + "\nwrote " +
                       (out / "blog-worker-1.service").string() + "\nwrote " +
                       (out / "blog-worker-1.env").string() + "\nwrote " +
                       (out / "blog-worker.target").string() + "\nwrote " +
                       (out / "blog.target").string() + "\n");
    CHECK(listing(out) == std::vector<std::string>{".procrun-export-blog", "blog-web-1.env",
                                                   "blog-web-1.service", "blog-web.target",
                                                   "blog-worker-1.env", "blog-worker-1.service",
                                                   "blog-worker.target", "blog.target"});
    struct stat st {};
    REQUIRE(::stat((out / "blog-web-1.env").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(::stat((out / "blog-web-1.service").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
}

TEST_CASE("a smaller re-export removes the stale files of the same app and nothing else",
          "[e2e][export]") {
    TempDir dir;
    const fs::path root = simple_project(dir);
    const fs::path out = dir.path() / "sv";
    REQUIRE(export_to(root, {"runit", out.string(), "-c", "web=2,worker=1"}).exit_code == 0);
    REQUIRE(fs::exists(out / "myapp-web-2/run"));
    dir.write("sv/unrelated/run", "#!/bin/sh\n");
    dir.write("sv/myapp-web-2/notes.txt", "mine\n");  // a file the export never wrote
    REQUIRE(
        export_to(root, {"runit", out.string(), "-a", "other", "-c", "web=1,worker=0"}).exit_code ==
        0);

    const RunResult r = export_to(root, {"runit", out.string(), "-c", "web=1,worker=0"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("removed " + (out / "myapp-web-2/run").string() + "\n") != std::string::npos);
    CHECK(r.out.find("removed " + (out / "myapp-worker-1/env/MODE").string() + "\n") !=
          std::string::npos);
    CHECK(r.out.find("removed " + (out / "myapp-worker-1").string() + "\n") != std::string::npos);
    CHECK_FALSE(fs::exists(out / "myapp-worker-1"));
    CHECK_FALSE(fs::exists(out / "myapp-web-2/run"));
    CHECK(fs::exists(out / "myapp-web-2/notes.txt"));  // not ours: kept, and so its dir
    CHECK(fs::exists(out / "unrelated/run"));
    CHECK(fs::exists(out / "other-web-1/run"));  // another app's export
    CHECK(fs::exists(out / "myapp-web-1/run"));
}

TEST_CASE("options come from the config file too", "[e2e][export]") {
    TempDir dir;
    const fs::path root = simple_project(dir);
    dir.write("myapp/.procrun.yaml", "app: fromconfig\nuser: www-data\nlog: /srv/logs\n");
    const fs::path out = dir.path() / "out";
    const RunResult r = export_to(root, {"supervisord", out.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string conf = read_file(out / "fromconfig.conf");
    CHECK(conf.find("[program:fromconfig-web-1]\n") != std::string::npos);
    CHECK(conf.find("user=www-data\n") != std::string::npos);
    CHECK(conf.find("stdout_logfile=/srv/logs/web-1.log\n") != std::string::npos);
    // The command line wins over the config file.
    const RunResult r2 = export_to(root, {"supervisord", out.string(), "-a", "cli"});
    REQUIRE(r2.exit_code == 0);
    CHECK(fs::exists(out / "cli.conf"));
}

TEST_CASE("a template directory replaces a template and a bad one is a located error",
          "[e2e][export]") {
    TempDir dir;
    const fs::path root = simple_project(dir);
    dir.write("tpl/systemd/service",
              "[Service]\nExecStart={{exec_start}}\n{{#user}}\nUser={{user}}\n{{/user}}\n");
    const fs::path out = dir.path() / "out";
    RunResult r = export_to(root, {"systemd", out.string(), "--template-dir",
                                   (dir.path() / "tpl").string(), "-u", "www"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(read_file(out / "myapp-web-1.service") ==
          "[Service]\nExecStart=/bin/sh -c \"serve --port $$PORT\"\nUser=www\n");
    // The targets keep their built-in templates.
    CHECK(read_file(out / "myapp.target").find("WantedBy=multi-user.target") != std::string::npos);

    dir.write("tpl/systemd/service", "[Service]\nExecStart={{exec_start}}\nUser={{usr}}\n");
    r = export_to(root, {"systemd", out.string(), "--template-dir", (dir.path() / "tpl").string()});
    CHECK(r.exit_code == 1);
    const std::string file = (dir.path() / "tpl/systemd/service").string();
    CHECK(r.err.rfind(file + ":3:6: error: unknown name 'usr'\n"
                             " 3 | User={{usr}}\n"
                             "   |      ^\n"
                             "hint: known here: ",
                      0) == 0);

    r = export_to(root,
                  {"systemd", out.string(), "--template-dir", (dir.path() / "nope").string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("template directory") != std::string::npos);
}

TEST_CASE("a value a format cannot hold fails the export and writes nothing", "[e2e][export]") {
    TempDir dir;
    const fs::path root = simple_project(dir);
    dir.write("myapp/.env", "PAD=\"trailing \"\n");
    const fs::path out = dir.path() / "sv";
    const RunResult r = export_to(root, {"runit", out.string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("error: runit cannot hold the value of PAD for web.1: it ends in a space or "
                     "tab, which chpst -e strips from envdir values") != std::string::npos);
    CHECK_FALSE(fs::exists(out));
    // The same value is fine where the format can hold it.
    CHECK(export_to(root, {"systemd", out.string()}).exit_code == 0);
}

TEST_CASE("kubernetes without --image says so", "[e2e][export]") {
    TempDir dir;
    const fs::path root = simple_project(dir);
    const RunResult r = export_to(root, {"kubernetes", (dir.path() / "k").string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("error: the kubernetes format needs a container image") != std::string::npos);
}

TEST_CASE("an invalid project is reported before anything is written", "[e2e][export]") {
    TempDir dir;
    dir.write("bad/Procfile", "web serve\n");
    const RunResult r = export_to(dir.path() / "bad", {"systemd", (dir.path() / "out").string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("Procfile:1") != std::string::npos);
    CHECK_FALSE(fs::exists(dir.path() / "out"));
}

TEST_CASE("DIR '-' prints a one-file format and refuses the others", "[e2e][export]") {
    TempDir dir;
    const fs::path root = simple_project(dir);
    const RunResult inittab = export_to(root, {"inittab", "-"});
    CHECK(inittab.exit_code == 2);
    CHECK(inittab.out.empty());
    CHECK(inittab.err ==
          "procrun export: DIR '-' means standard output, which takes a format that renders one "
          "file (compose); inittab writes several files\n"
          "hint: name a directory (./- for one called '-')\n");
    CHECK_FALSE(fs::exists(root / "-"));

    const RunResult compose = export_to(root, {"compose", "-", "--image", "blog:dev"});
    INFO(compose.err);
    CHECK(compose.exit_code == 0);
    CHECK(compose.out.starts_with(
        "services:\n"));  // no top-level name: docker-compose 1.29 refuses it
    CHECK(compose.out.find("image: \"blog:dev\"") != std::string::npos);
    CHECK_FALSE(fs::exists(root / "-"));
    CHECK_FALSE(fs::exists(root / "compose.yaml"));
    CHECK_FALSE(fs::exists(root / ".procrun-export-myapp"));
}

TEST_CASE("export never writes or removes through a link planted inside DIR", "[e2e][export]") {
    TempDir dir;
    const fs::path root = simple_project(dir);
    const fs::path out = dir.path() / "sv";
    const fs::path outside = dir.path() / "outside";
    fs::create_directories(out);
    fs::create_directories(outside);
    dir.write("outside/run", "theirs\n");
    dir.write("outside/keep.service", "theirs\n");
    fs::create_directory_symlink(outside, out / "myapp-web-1");
    RunResult r = export_to(root, {"runit", out.string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "procrun export: error: refusing to write " +
                       (out / "myapp-web-1/run").string() + ": " + (out / "myapp-web-1").string() +
                       " is a symbolic link; export writes only inside " + out.string() +
                       " and never through a link\n");
    CHECK(read_file(outside / "run") == "theirs\n");
    CHECK_FALSE(fs::exists(outside / "env"));

    // A manifest that lists a path through the link: refused, nothing removed.
    fs::remove(out / "myapp-web-1");
    dir.write("sv/.procrun-export-myapp", "evil/keep.service\n");
    fs::permissions(out / ".procrun-export-myapp", fs::perms(0644));
    fs::create_directory_symlink(outside, out / "evil");
    r = export_to(root, {"systemd", out.string()});
    CHECK(r.exit_code == 0);
    CHECK(r.err == "procrun export: warning: not removing " + (out / "evil/keep.service").string() +
                       " (listed in the manifest): " + (out / "evil").string() +
                       " is a symbolic link; export removes only inside " + out.string() +
                       " and never through a link\n");
    CHECK(read_file(outside / "keep.service") == "theirs\n");
}

}  // namespace
