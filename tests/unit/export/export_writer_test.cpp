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
        CHECK(std::string(e.what()).rfind("create " + dir.string(), 0) == 0);
    }
    fs::permissions(dir, fs::perms::owner_all);
}

TEST_CASE("a symlinked subdirectory inside the directory is never written through",
          "[export][writer]") {
    Scratch s;
    const fs::path dir = s.path / "out";
    const fs::path outside = s.path / "outside";
    fs::create_directories(dir / "real");
    fs::create_directories(outside);
    std::ofstream(outside / "run") << "theirs";
    fs::create_directory_symlink(outside, dir / "svc");
    fs::create_directory_symlink(outside, dir / "real" / "deep");

    for (const std::string link : {"svc", "real/deep"}) {
        INFO(link);
        try {
            write_export(dir, "blog",
                         {{"blog.target", "t", 0644},
                          {link + "/run", "mine", 0755},
                          {link + "/env/K", "secret", 0600}});
            FAIL("wrote through a link");
        } catch (const std::runtime_error& e) {
            CHECK(std::string(e.what()) == "refusing to write " + (dir / link / "run").string() +
                                               ": " + (dir / link).string() +
                                               " is a symbolic link; export writes only inside " +
                                               dir.string() + " and never through a link");
        }
        // Nothing was written, inside or outside.
        CHECK(read(outside / "run") == "theirs");
        CHECK_FALSE(fs::exists(outside / "env"));
        CHECK_FALSE(fs::exists(dir / "blog.target"));
        CHECK_FALSE(fs::exists(dir / ".procrun-export-blog"));
    }
    // A plain file where a directory should be is refused the same way.
    std::ofstream(dir / "plain") << "x";
    CHECK_THROWS_WITH(write_export(dir, "blog", {{"plain/run", "r", 0755}}),
                      Catch::Contains((dir / "plain").string() + " is not a directory"));
}

TEST_CASE("a manifest entry through a link is refused and nothing outside is removed",
          "[export][writer]") {
    Scratch s;
    const fs::path dir = s.path / "out";
    const fs::path outside = s.path / "outside";
    fs::create_directories(dir);
    fs::create_directories(outside / "sub");
    std::ofstream(outside / "victim") << "precious";
    std::ofstream(outside / "sub" / "victim") << "precious";
    fs::create_directory_symlink(outside, dir / "svc");
    fs::create_symlink(outside / "victim", dir / "blog-old.service");
    std::ofstream(dir / ".procrun-export-blog")
        << "# ours\nsvc/\nsvc/sub/\nsvc/victim\nsvc/sub/victim\nblog-old.service\n";
    fs::permissions(dir / ".procrun-export-blog", fs::perms(0644));

    std::vector<std::string> removed;
    const WriteResult result = write_export(
        dir, "blog", {{"blog.target", "t", 0644}}, [&](const std::string& what, const fs::path& p) {
            if (what == "removed")
                removed.push_back(p.lexically_relative(dir).generic_string());
        });
    CHECK(read(outside / "victim") == "precious");
    CHECK(read(outside / "sub" / "victim") == "precious");
    CHECK(fs::is_directory(outside / "sub"));
    // A listed link is removed itself, never what it points at.
    CHECK(removed == std::vector<std::string>{"blog-old.service"});
    CHECK_FALSE(fs::exists(fs::symlink_status(dir / "blog-old.service")));
    CHECK(fs::is_symlink(dir / "svc"));
    const std::string why = (dir / "svc").string() + " is a symbolic link";
    REQUIRE(result.warnings.size() == 3);
    CHECK(result.warnings[0] ==
          "not removing " + (dir / "svc/victim").string() + " (listed in the manifest): " + why +
              "; export removes only inside " + dir.string() + " and never through a link");
    CHECK(result.warnings[1].starts_with("not removing " + (dir / "svc/sub/victim").string()));
    CHECK(result.warnings[2].starts_with("not removing " + (dir / "svc/sub/").string()));
}

TEST_CASE("a manifest the exporting user does not own, or others may write, is not trusted",
          "[export][writer]") {
    if (::geteuid() != 0) {
        PROCRUN_SKIP("not root: the test needs to give the manifest to another uid");
    }
    Scratch s;
    const fs::path dir = s.path;
    const fs::path manifest = dir / ".procrun-export-blog";
    std::ofstream(dir / "blog-old.service") << "keep";

    SECTION("owned by another uid") {
        std::ofstream(manifest) << "blog-old.service\n";
        REQUIRE(::chown(manifest.c_str(), 65534, 65534) == 0);
        const WriteResult result = write_export(dir, "blog", {{"blog.target", "t", 0644}});
        REQUIRE(result.warnings.size() == 1);
        CHECK(result.warnings[0] == "not trusting the manifest " + manifest.string() +
                                        ": it is owned by uid 65534, not by uid 0 (who "
                                        "exports); no old files are removed");
    }
    SECTION("writable by the group") {
        std::ofstream(manifest) << "blog-old.service\n";
        fs::permissions(manifest, fs::perms(0664));
        const WriteResult result = write_export(dir, "blog", {{"blog.target", "t", 0644}});
        REQUIRE(result.warnings.size() == 1);
        CHECK(result.warnings[0] == "not trusting the manifest " + manifest.string() +
                                        ": its mode 0664 lets group or other users write it; no "
                                        "old files are removed");
    }
    SECTION("a symbolic link") {
        std::ofstream(dir / "elsewhere") << "blog-old.service\n";
        fs::create_symlink(dir / "elsewhere", manifest);
        const WriteResult result = write_export(dir, "blog", {{"blog.target", "t", 0644}});
        REQUIRE(result.warnings.size() == 1);
        CHECK(result.warnings[0] == "not trusting the manifest " + manifest.string() +
                                        ": it is a symbolic link; no old files are removed");
        CHECK(read(dir / "elsewhere") == "blog-old.service\n");
    }
    CHECK(read(dir / "blog-old.service") == "keep");
    // The new manifest is the exporter's own, and trusted next time.
    struct stat st {};
    REQUIRE(::lstat(manifest.c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK(st.st_uid == 0);
    CHECK(write_export(dir, "blog", {{"blog.target", "t", 0644}}).warnings.empty());
}
