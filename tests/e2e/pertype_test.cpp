// A process type's env, env_file and working_dir under start, run and check,
// with the real binary.

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "harness.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::contains;
using procrun::test::in_project;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::TempDir;

// Two types that print where they run and what they see: api with its own
// settings, web with the app's.
void write_monorepo(TempDir& dir) {
    const std::string say =
        "echo \"dir=$(pwd) level=$LEVEL shared=$SHARED only=$ONLY port=$PORT ps=$PS\"";
    dir.write("Procfile", "api: " + say + "\nweb: " + say + "\n");
    dir.write(".env", "LEVEL=app\nSHARED=app\n");
    dir.write("services/api/.env.api", "SHARED=type-file\nONLY=from-${LEVEL}\nLEVEL=type-file\n");
    dir.write(".procrun.yaml",
              "processes:\n"
              "  api:\n"
              "    working_dir: services/api\n"
              "    env_file: services/api/.env.api\n"
              "    env:\n"
              "      LEVEL: type-env\n"
              "    can_die: true\n"
              "  web:\n"
              "    can_die: true\n");
}

}  // namespace

TEST_CASE("start: each type runs in its working_dir with its own env over the app's",
          "[e2e][pertype]") {
    TempDir dir;
    write_monorepo(dir);
    RunOptions o = in_project(dir);
    o.set_env = {"LEVEL=os", "ONLY=os"};
    const RunResult r = run_procrun({"start", "--no-timestamp", "--no-color"}, o);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    const std::string root = std::filesystem::canonical(dir.path()).string();
    CHECK(contains(r.out, "dir=" + root +
                              "/services/api level=type-env shared=type-file only=from-app "
                              "port=5000 ps=api.1"));
    CHECK(contains(r.out, "dir=" + root + " level=app shared=app only=os port=5100 ps=web.1"));
}

TEST_CASE("run NAME: the type's env and working_dir", "[e2e][pertype]") {
    TempDir dir;
    write_monorepo(dir);
    const RunResult r = run_procrun({"run", "api"}, in_project(dir));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    const std::string root = std::filesystem::canonical(dir.path()).string();
    CHECK(r.out == "dir=" + root +
                       "/services/api level=type-env shared=type-file only=from-app port=5000 "
                       "ps=api.1\n");
    // Another command keeps the current directory and the app's env.
    const RunResult other = run_procrun({"run", "echo $LEVEL"}, in_project(dir));
    CHECK(other.out == "app\n");
}

TEST_CASE("check: a missing env_file, a working_dir that is not a folder, bad names, located",
          "[e2e][pertype]") {
    TempDir dir;
    dir.write("Procfile", "api: true\nweb: true\nworker: true\n");
    dir.write("notadir", "x\n");
    dir.write(".procrun.yaml",
              "processes:\n"
              "  api:\n"
              "    env_file: [.env.missing]\n"
              "    working_dir: notadir\n"
              "  web:\n"
              "    working_dir: nowhere\n"
              "    env:\n"
              "      bad-name: 1\n"
              "  worker:\n"
              "    working_dir: ../elsewhere\n");
    const RunResult r = run_procrun({"check"}, in_project(dir));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const std::string all = r.out + r.err;
    CHECK(contains(all, ".procrun.yaml:3:16: error: env file '.env.missing' does not exist"));
    CHECK(contains(all, ".procrun.yaml:4:18: error: working_dir 'notadir' is not a directory"));
    CHECK(contains(all, ".procrun.yaml:6:18: error: working_dir 'nowhere' does not exist"));
    CHECK(contains(all,
                   ".procrun.yaml:8:7: error: 'bad-name' is not an environment variable "
                   "name"));
    CHECK(contains(all,
                   ".procrun.yaml:10:18: error: working_dir '../elsewhere' leads out of the "
                   "root"));
}

TEST_CASE("check: a working_dir that leaves the root through a link", "[e2e][pertype]") {
    TempDir dir;
    dir.write("app/Procfile", "api: true\n");
    std::filesystem::create_directories(dir.path() / "outside");
    std::filesystem::create_directory_symlink(dir.path() / "outside", dir.path() / "app/out");
    dir.write("app/.procrun.yaml", "processes:\n  api:\n    working_dir: out\n");
    RunOptions o = in_project(dir);
    o.cwd = dir.path() / "app";
    const RunResult r = run_procrun({"check"}, o);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.out + r.err,
                   ".procrun.yaml:3:18: error: working_dir 'out' leads out of "
                   "the root through a link"));
}
