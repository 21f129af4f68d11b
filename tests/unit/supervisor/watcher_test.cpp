// The watcher against the real kernel: inotify in a temporary folder, read in
// an io_context. Changes are reported per type and path; excluded files are
// not; folders made (or moved in) later are watched; folders moved away are
// dropped.

#include "supervisor/watcher.hpp"

#include <stdlib.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace procrun;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

class Tree {
  public:
    Tree() {
        std::string tmpl = (fs::temp_directory_path() / "procrun-watch-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        root_ = fs::canonical(tmpl);
    }
    ~Tree() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    Tree(const Tree&) = delete;
    Tree& operator=(const Tree&) = delete;
    [[nodiscard]] const fs::path& root() const { return root_; }
    void write(const std::string& rel, const std::string& text = "x\n") const {
        fs::create_directories((root_ / rel).parent_path());
        std::ofstream(root_ / rel) << text;
    }

  private:
    fs::path root_;
};

struct Run {
    explicit Run(const Tree& tree, std::vector<WatchTarget> targets,
                 std::vector<PathPattern> gitignore = {})
        : watcher(
              io, tree.root(), std::move(targets), std::move(gitignore), {},
              [this](event::FilesChanged changes) {
                  for (auto& p : changes.paths) {
                      if (p.removed)
                          removed[changes.type].push_back(p.path);
                      seen[changes.type].push_back(std::move(p.path));
                  }
              },
              [this](const std::string& text) { warnings.push_back(text); }) {
        watcher.start();
    }
    // Runs the loop until `type` has a report naming `path`, or 10 s pass.
    bool wait_for(const std::string& type, const std::string& path) {
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < until) {
            io.run_for(20ms);
            for (const auto& p : seen[type]) {
                if (p == path)
                    return true;
            }
        }
        return false;
    }
    void settle() { io.run_for(300ms); }

    boost::asio::io_context io;
    std::map<std::string, std::vector<std::string>> seen;
    std::map<std::string, std::vector<std::string>> removed;  // moved away or deleted
    std::vector<std::string> warnings;
    Watcher watcher;
};

WatchTarget target(std::string type, std::vector<std::string> paths = {}) {
    WatchTarget t{std::move(type), Watch{}};
    for (auto& p : paths)
        t.watch.paths.push_back(WatchPath{std::move(p), {}});
    return t;
}

}  // namespace

TEST_CASE("watcher: a written file is reported, and excluded ones are not", "[watch][inotify]") {
    Tree tree;
    tree.write("app/views.py");
    tree.write("node_modules/x/index.js");
    Run run(tree, {target("web")});
    CHECK(run.watcher.folders() == 2);  // the root and app; not node_modules
    tree.write("app/views.py", "changed\n");
    REQUIRE(run.wait_for("web", "app/views.py"));
    tree.write("app/.views.py.swp");
    tree.write("app/views.py~");
    tree.write("node_modules/x/index.js", "changed\n");
    run.seen.clear();
    run.settle();
    CHECK(run.seen.empty());
    CHECK(run.warnings.empty());
}

TEST_CASE("watcher: a file renamed over another is reported with the one moved away",
          "[watch][inotify]") {
    Tree tree;
    tree.write("app.py");
    Run run(tree, {target("web")});
    tree.write("sedAb12Cd", "new\n");
    fs::rename(tree.root() / "sedAb12Cd", tree.root() / "app.py");
    REQUIRE(run.wait_for("web", "app.py"));
    CHECK(run.removed["web"] == std::vector<std::string>{"sedAb12Cd"});
    fs::remove(tree.root() / "app.py");
    run.settle();
    CHECK(run.removed["web"] == std::vector<std::string>{"sedAb12Cd", "app.py"});
}

TEST_CASE("watcher: folders made or moved in later are watched, moved away dropped",
          "[watch][inotify]") {
    Tree tree;
    tree.write("src/a.py");
    Run run(tree, {target("web", {"src"})});
    CHECK(run.watcher.folders() == 1);
    fs::create_directories(tree.root() / "src/new/deeper");
    tree.write("src/new/deeper/b.py");
    REQUIRE(run.wait_for("web", "src/new/deeper/b.py"));
    CHECK(run.watcher.folders() == 3);
    // A folder with files moved in: its files are a change, and it is watched.
    tree.write("outside/moved/c.py");
    fs::rename(tree.root() / "outside/moved", tree.root() / "src/moved");
    REQUIRE(run.wait_for("web", "src/moved/c.py"));
    CHECK(run.watcher.folders() == 4);
    tree.write("src/moved/d.py");
    REQUIRE(run.wait_for("web", "src/moved/d.py"));
    fs::rename(tree.root() / "src/new", tree.root() / "away");
    REQUIRE(run.wait_for("web", "src/new"));
    CHECK(run.watcher.folders() == 2);
    // Outside of `paths:`: nothing.
    run.seen.clear();
    tree.write("away/deeper/b.py", "again\n");
    tree.write("other.py");
    run.settle();
    CHECK(run.seen.empty());
}

TEST_CASE("watcher: a file named in paths, .gitignore, two types, a missing path",
          "[watch][inotify]") {
    Tree tree;
    tree.write("settings.py");
    tree.write("worker/jobs.py");
    const auto gitignore = parse_gitignore("*.sqlite3\n", ".gitignore");
    Run run(tree, {target("web", {"settings.py", "nowhere"}), target("worker", {"."})},
            gitignore.value);
    REQUIRE(run.warnings.size() == 1);
    CHECK(run.warnings[0].find("watch path 'nowhere' of web does not exist") != std::string::npos);
    tree.write("settings.py", "changed\n");
    REQUIRE(run.wait_for("web", "settings.py"));
    REQUIRE(run.wait_for("worker", "settings.py"));
    run.seen.clear();
    tree.write("db.sqlite3");
    tree.write("worker/jobs.py", "changed\n");
    REQUIRE(run.wait_for("worker", "worker/jobs.py"));
    CHECK(run.seen.count("web") == 0);
    for (const auto& p : run.seen["worker"])
        CHECK(p != "db.sqlite3");
}
