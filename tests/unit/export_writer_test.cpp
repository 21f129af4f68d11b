// The export writer against a real temporary directory.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "procrun/export.hpp"
#include "skip.hpp"

using namespace procrun;
namespace fs = std::filesystem;

namespace {

struct Scratch {
    fs::path path;
    Scratch() {
        std::string t = (fs::temp_directory_path() / "procrun-writer-XXXXXX").string();
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        out.push_back(e.path().lexically_relative(dir).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("the writer creates the directory and writes files with their modes",
          "[export][writer]") {
    Scratch s;
    const fs::path dir = s.path / "out" / "nested";
    std::vector<std::string> seen;
    const auto result =
        write_export(dir, "blog",
                     {{"blog.target", "t\n", 0644},
                      {"svc/run", "#!/bin/sh\n", 0755},
                      {"svc/env/K", "v\n", 0600}},
                     [&](const std::string& what, const fs::path& p) {
                         seen.push_back(what + " " + p.lexically_relative(dir).generic_string());
                     });
    CHECK(seen ==
          std::vector<std::string>{"wrote blog.target", "wrote svc/run", "wrote svc/env/K"});
    CHECK(result.written.size() == 3);
    CHECK(read(dir / "svc/run") == "#!/bin/sh\n");
    CHECK(mode_of(dir / "blog.target") == 0644);
    CHECK(mode_of(dir / "svc/run") == 0755);
    CHECK(mode_of(dir / "svc/env/K") == 0600);
    // No temporary files are left behind; the manifest lists what was written.
    CHECK(entries(dir) == std::vector<std::string>{".procrun-export-blog", "blog.target", "svc",
                                                   "svc/env", "svc/env/K", "svc/run"});
    const std::string manifest = read(dir / ".procrun-export-blog");
    CHECK(manifest.find("\nsvc/\nsvc/env/\nblog.target\nsvc/run\nsvc/env/K\n") !=
          std::string::npos);
}

TEST_CASE("a re-export removes only what the previous export of the app wrote",
          "[export][writer]") {
    Scratch s;
    const fs::path dir = s.path;
    write_export(dir, "blog",
                 {{"blog-web-1.service", "a", 0644},
                  {"blog-web-2.service", "b", 0644},
                  {"blog-web-2/run", "r", 0755}});
    // Files nobody listed: the user's own, and another app's export.
    std::ofstream(dir / "mine.service") << "keep";
    write_export(dir, "other", {{"other-web-1.service", "o", 0644}});
    std::ofstream(dir / "blog-web-2" / "supervise-state") << "runsv's";

    std::vector<std::string> removed;
    const auto result =
        write_export(dir, "blog", {{"blog-web-1.service", "a2", 0644}},
                     [&](const std::string& what, const fs::path& p) {
                         if (what == "removed") {
                             removed.push_back(p.lexically_relative(dir).generic_string());
                         }
                     });
    CHECK(removed == std::vector<std::string>{"blog-web-2.service", "blog-web-2/run"});
    CHECK(result.removed == removed);
    CHECK(read(dir / "blog-web-1.service") == "a2");
    CHECK(read(dir / "mine.service") == "keep");
    CHECK(read(dir / "other-web-1.service") == "o");
    // A directory is removed only once empty: runsv's state keeps this one.
    CHECK(fs::exists(dir / "blog-web-2" / "supervise-state"));

    // Once the foreign file is gone, the next export removes the empty directory.
    fs::remove(dir / "blog-web-2" / "supervise-state");
    // The manifest still owns the directory it created.
    write_export(dir, "blog", {{"blog-web-1.service", "a3", 0644}});
    CHECK_FALSE(fs::exists(dir / "blog-web-2"));
}

TEST_CASE("a manifest entry outside the directory is never followed", "[export][writer]") {
    Scratch s;
    const fs::path dir = s.path / "out";
    fs::create_directories(dir);
    std::ofstream(s.path / "victim") << "precious";
    std::ofstream(dir / ".procrun-export-blog")
        << "# hand-edited\n../victim\n/etc/passwd\nsub/../../victim\n";
    write_export(dir, "blog", {{"blog.target", "t", 0644}});
    CHECK(read(s.path / "victim") == "precious");
}

TEST_CASE("a path escaping the directory is refused before anything is written",
          "[export][writer]") {
    Scratch s;
    CHECK_THROWS_AS(write_export(s.path / "out", "blog", {{"../escape", "x", 0644}}),
                    std::invalid_argument);
    CHECK_FALSE(fs::exists(s.path / "out"));
    CHECK_FALSE(fs::exists(s.path / "escape"));
}

TEST_CASE("a write failure names the call and the path", "[export][writer]") {
    if (::geteuid() == 0) {
        PROCRUN_SKIP("running as root: permission checks do not apply");
    }
    Scratch s;
    const fs::path dir = s.path / "ro";
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    try {
        write_export(dir, "blog", {{"blog.target", "t", 0644}});
        FAIL("expected an error");
    } catch (const std::system_error& e) {
        CHECK(std::string(e.what()).rfind("mkstemp " + dir.string(), 0) == 0);
    }
    fs::permissions(dir, fs::perms::owner_all);
}
