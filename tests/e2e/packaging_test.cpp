// The packages, built for real: a Release build of procrun (without
// sanitizers, whatever this build uses; with Debian's hardening flags from
// dpkg-buildflags but -g; a unity build, as the test command's other builds)
// in its own build directory, packaged by CPack as .deb, .rpm and .tar.gz. The .deb is unpacked
// into a scratch root, its procrun runs and its man page renders, and lintian finds no error in it.
// The Homebrew formula and the PKGBUILD are generated for the source tarball.
// Each tool that is missing skips its part with a message (a failure when
// PROCRUN_REQUIRE_TOOLS=1; tests/support/skip.hpp).

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "skip.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using procrun::test::read_file;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::TempDir;

bool have(const std::string& program) {
    return procrun::test::run({"sh", "-c", "command -v \"$0\" >/dev/null", program}).exit_code == 0;
}

RunResult run_in(const fs::path& cwd, const std::vector<std::string>& argv,
                 std::chrono::milliseconds timeout = 120s) {
    RunOptions o;
    o.cwd = cwd;
    o.timeout = timeout;
    // A plain build: nothing from a sanitizer build's environment.
    o.unset_env = {"CXXFLAGS",     "CFLAGS",        "LDFLAGS",    "CPPFLAGS",
                   "ASAN_OPTIONS", "UBSAN_OPTIONS", "LD_PRELOAD", "MAKEFLAGS"};
    return procrun::test::run(argv, o);
}

// The one file in `dir` whose name ends with `suffix`.
fs::path find_package(const fs::path& dir, const std::string& suffix) {
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            found.push_back(e.path());
        }
    }
    INFO("packages in " << dir << " ending in " << suffix);
    REQUIRE(found.size() == 1);
    return found.front();
}

// "procrun 0.1.0 (abc123)" -> "0.1.0"
std::string version_of(const std::string& version_output) {
    std::smatch m;
    static const std::regex re(R"(procrun (\d+\.\d+\.\d+))");
    REQUIRE(std::regex_search(version_output, m, re));
    return m[1].str();
}

const fs::path kBuildDir = PROCRUN_PACKAGING_BUILD_DIR;

// The compiler and linker flags Debian builds its packages with (hardening
// included), when dpkg-buildflags is there.
std::string debian_flags(const std::string& which) {
    if (!have("dpkg-buildflags"))
        return "";
    RunResult r = procrun::test::run(
        {"sh", "-c", "DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get \"$0\"", which});
    REQUIRE(r.exit_code == 0);
    std::string flags = r.out;
    while (!flags.empty() && (flags.back() == '\n' || flags.back() == ' '))
        flags.pop_back();
    return flags;
}

// `flags` without the word `word`.
std::string without_word(const std::string& flags, const std::string& word) {
    std::istringstream in(flags);
    std::string out;
    for (std::string w; in >> w;) {
        if (w != word)
            out += (out.empty() ? "" : " ") + w;
    }
    return out;
}

// Configures and builds the Release tree the packages are made from. Debian's
// -g is left out: the packages' binary is stripped (CPACK_STRIP_FILES, as
// dh_strip does) and no debug-symbol package is made, so debug information
// would only slow the build.
void build_release_tree() {
    fs::create_directories(kBuildDir);
    const std::string cxxflags =
        debian_flags("CPPFLAGS") + " " + without_word(debian_flags("CXXFLAGS"), "-g");
    const std::string ldflags = debian_flags("LDFLAGS");
    RunResult configure =
        run_in(kBuildDir,
               {PROCRUN_CMAKE, "-S", procrun::test::source_dir().string(), "-B", kBuildDir.string(),
                "-DCMAKE_BUILD_TYPE=Release", "-DPROCRUN_BUILD_TESTS=OFF",
                "-DPROCRUN_SANITIZE=", "-DPROCRUN_FUZZ=OFF", "-DCMAKE_UNITY_BUILD=ON",
                "-DCMAKE_CXX_FLAGS=" + cxxflags, "-DCMAKE_EXE_LINKER_FLAGS=" + ldflags},
               120s);
    INFO("cmake configure: " << configure.out << configure.err);
    REQUIRE(configure.exit_code == 0);
    RunResult build =
        run_in(kBuildDir, {PROCRUN_CMAKE, "--build", kBuildDir.string(), "-j2"}, 1500s);
    INFO(
        "cmake --build: " << build.out.substr(build.out.size() > 4000 ? build.out.size() - 4000 : 0)
                          << build.err);
    REQUIRE(build.exit_code == 0);
}

fs::path cpack(const std::string& generator, const std::string& suffix) {
    const fs::path out = kBuildDir / "packages";
    fs::remove_all(out);
    RunResult r = run_in(kBuildDir, {PROCRUN_CPACK, "-G", generator}, 300s);
    INFO("cpack -G " << generator << ": " << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return find_package(out, suffix);
}

const std::vector<std::string> kInstalledFiles = {
    "usr/bin/procrun",
    "usr/share/man/man1/procrun.1.gz",
    "usr/share/bash-completion/completions/procrun",
    "usr/share/zsh/vendor-completions/_procrun",
    "usr/share/fish/vendor_completions.d/procrun.fish",
    "usr/share/doc/procrun/copyright",
    "usr/share/doc/procrun/changelog.gz",
    "usr/share/procrun/procrun.schema.json",
};

}  // namespace

TEST_CASE("the packages install procrun, its man page and completions, and lintian passes the .deb",
          "[.packaging]") {
    for (const char* tool : {"dpkg-deb", "dpkg-shlibdeps", "gzip"}) {
        if (!have(tool)) {
            PROCRUN_TOOL_MISSING(tool
                                 << " is not installed (apt-get install dpkg-dev): packaging not "
                                    "checked");
        }
    }
    if (!have("scdoc")) {
        PROCRUN_TOOL_MISSING(
            "scdoc is not installed (apt-get install scdoc): packaging not checked");
    }
    build_release_tree();
    const RunResult tested = procrun::test::run_procrun({"--version"});
    const std::string version = version_of(tested.out);

    // --- cmake --install
    // ---------------------------------------------------------------------------
    {
        TempDir prefix;
        RunResult install = run_in(kBuildDir, {PROCRUN_CMAKE, "--install", kBuildDir.string(),
                                               "--prefix", prefix.path().string()});
        INFO("cmake --install: " << install.out << install.err);
        REQUIRE(install.exit_code == 0);
        for (const char* file :
             {"bin/procrun", "share/man/man1/procrun.1.gz",
              "share/bash-completion/completions/procrun", "share/zsh/site-functions/_procrun",
              "share/fish/vendor_completions.d/procrun.fish", "share/procrun/procrun.schema.json",
              "share/licenses/procrun/LICENSE"}) {
            INFO("installed under the prefix: " << file);
            CHECK(fs::is_regular_file(prefix.path() / file));
        }
        CHECK_FALSE(fs::exists(prefix.path() / "share/doc/procrun"));
        const fs::path completions = procrun::test::source_dir() / "packaging/completions";
        CHECK(read_file(prefix.path() / "share/bash-completion/completions/procrun") ==
              read_file(completions / "procrun.bash"));
        CHECK(read_file(prefix.path() / "share/zsh/site-functions/_procrun") ==
              read_file(completions / "_procrun"));
        CHECK(read_file(prefix.path() / "share/fish/vendor_completions.d/procrun.fish") ==
              read_file(completions / "procrun.fish"));
        RunResult v =
            run_in(prefix.path(), {(prefix.path() / "bin/procrun").string(), "--version"});
        CHECK(version_of(v.out) == version);
    }
    if (fs::exists("/etc/debian_version")) {
        // Debian's zsh reads /usr/share/zsh/vendor-completions, not /usr/share/zsh/site-functions.
        TempDir destdir;
        RunOptions o;
        o.cwd = kBuildDir;
        o.set_env = {"DESTDIR=" + destdir.path().string()};
        RunResult install = procrun::test::run(
            {PROCRUN_CMAKE, "--install", kBuildDir.string(), "--prefix", "/usr"}, o);
        INFO("DESTDIR=... cmake --install --prefix /usr: " << install.out << install.err);
        REQUIRE(install.exit_code == 0);
        CHECK(fs::is_regular_file(destdir.path() / "usr/share/zsh/vendor-completions/_procrun"));
        CHECK(fs::is_regular_file(destdir.path() / "usr/bin/procrun"));
    }

    // --- .deb
    // -------------------------------------------------------------------------------------
    const fs::path deb = cpack("DEB", ".deb");
    CHECK(deb.filename().string().rfind("procrun_" + version + "_", 0) == 0);

    RunResult info = run_in(kBuildDir, {"dpkg-deb", "--field", deb.string()});
    REQUIRE(info.exit_code == 0);
    INFO("control:\n" << info.out);
    CHECK(info.out.find("Package: procrun\n") != std::string::npos);
    CHECK(info.out.find("Version: " + version + "\n") != std::string::npos);
    CHECK(info.out.find("Section: utils\n") != std::string::npos);
    CHECK(info.out.find("Maintainer: ") != std::string::npos);
    // Depends: what dpkg-shlibdeps found for each library the binary needs.
    std::smatch depends_match;
    REQUIRE(std::regex_search(info.out, depends_match, std::regex("\nDepends: ([^\n]*)")));
    const std::string depends = depends_match[1].str();
    for (const char* package : {"libc6", "libstdc++6", "libyaml-cpp0.7", "libfmt9"}) {
        INFO("Depends: " << depends);
        CHECK(depends.find(package) != std::string::npos);
    }

    TempDir root;
    RunResult unpack = run_in(kBuildDir, {"dpkg-deb", "-x", deb.string(), root.path().string()});
    REQUIRE(unpack.exit_code == 0);
    for (const auto& file : kInstalledFiles) {
        INFO("installed file " << file);
        CHECK(fs::is_regular_file(root.path() / file));
    }
    // The licence: in Debian's machine-readable copyright file, not as a separate file.
    const std::string copyright = read_file(root.path() / "usr/share/doc/procrun/copyright");
    CHECK(copyright.find("License: Expat\n Permission is hereby granted") != std::string::npos);
    CHECK_FALSE(fs::exists(root.path() / "usr/share/licenses"));
    CHECK(info.out.find("Homepage: https://") != std::string::npos);
    const fs::path installed = root.path() / "usr/bin/procrun";
    RunResult needed =
        run_in(kBuildDir, {"sh", "-c", "LC_ALL=C readelf -d \"$0\"", installed.string()});
    if (needed.out.find("libspdlog.so") != std::string::npos) {
        CHECK(depends.find("libspdlog") != std::string::npos);
    }
    CHECK(needed.out.find("libasan") == std::string::npos);
    CHECK(needed.out.find("libubsan") == std::string::npos);

    RunResult v = run_in(root.path(), {installed.string(), "--version"});
    CHECK(v.exit_code == 0);
    CHECK(version_of(v.out) == version);
    RunResult h = run_in(root.path(), {installed.string(), "--help"});
    CHECK(h.exit_code == 0);
    CHECK(h.out == procrun::test::run_procrun({"--help"}).out);

    if (have("man")) {
        RunOptions o;
        o.cwd = root.path();
        o.set_env = {"MANWIDTH=80", "MANPAGER=cat", "PAGER=cat", "LC_ALL=C.UTF-8"};
        RunResult man = procrun::test::run(
            {"man", "--warnings", "-l", (root.path() / "usr/share/man/man1/procrun.1.gz").string()},
            o);
        INFO("man stderr: " << man.err);
        CHECK(man.exit_code == 0);
        CHECK(man.err.empty());
        CHECK(man.out.find("procrun - run the processes of a Procfile") != std::string::npos);
        for (const char* section :
             {"SYNOPSIS", "COMMANDS", "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES"}) {
            CHECK(man.out.find(std::string("\n") + section + "\n") != std::string::npos);
        }
        CHECK(man.out.find("procrun " + version) != std::string::npos);
    } else {
        PROCRUN_TOOL_MISSING_PART(
            "man is not installed (apt-get install man-db): the man page was not rendered");
    }

    if (have("lintian")) {
        // --no-cfg: no user or system lintian configuration changes the verdict.
        RunResult lint = run_in(kBuildDir,
                                {"lintian", "--no-cfg", "--tag-display-limit", "0",
                                 "--display-info", "--fail-on", "error", deb.string()},
                                180s);
        std::vector<std::string> errors;
        std::vector<std::string> others;
        for (const auto& line : procrun::test::split_lines(lint.out)) {
            if (line.rfind("E: ", 0) == 0) {
                errors.push_back(line);
            } else if (line.size() > 2 && line[1] == ':') {
                others.push_back(line);
            }
        }
        std::string listed;
        for (const auto& line : others)
            listed += "\n  " + line;
        if (!others.empty())
            WARN("lintian warnings and notes on " << deb.filename() << ":" << listed);
        std::string errors_listed;
        for (const auto& line : errors)
            errors_listed += "\n  " + line;
        INFO("lintian errors:" << errors_listed << "\nstderr: " << lint.err);
        CHECK(errors.empty());
        CHECK(lint.exit_code == 0);
    } else {
        PROCRUN_TOOL_MISSING_PART(
            "lintian is not installed (apt-get install lintian): the .deb was not linted");
    }

    // --- .rpm
    // -------------------------------------------------------------------------------------
    if (have("rpmbuild") && have("rpm")) {
        const fs::path rpm = cpack("RPM", ".rpm");
        RunResult files = run_in(kBuildDir, {"rpm", "-qpl", rpm.string()});
        REQUIRE(files.exit_code == 0);
        INFO("rpm files:\n" << files.out);
        CHECK(files.out.find("/usr/bin/procrun\n") != std::string::npos);
        CHECK(files.out.find("/usr/share/man/man1/procrun.1.gz\n") != std::string::npos);
        CHECK(files.out.find("/usr/share/bash-completion/completions/procrun\n") !=
              std::string::npos);
        // Not Debian's vendor-completions: Fedora's zsh reads site-functions.
        CHECK(files.out.find("/usr/share/zsh/site-functions/_procrun\n") != std::string::npos);
        CHECK(files.out.find("/usr/share/fish/vendor_completions.d/procrun.fish\n") !=
              std::string::npos);
        CHECK(files.out.find("/usr/share/doc/procrun") == std::string::npos);
        // Directories every system owns are not claimed by the package.
        CHECK(files.out.find("/usr/share/man/man1\n") == std::string::npos);
        RunResult requires_ = run_in(kBuildDir, {"rpm", "-qp", "--requires", rpm.string()});
        INFO("rpm requires:\n" << requires_.out);
        CHECK(requires_.out.find("libyaml-cpp.so.0.7") != std::string::npos);
        CHECK(requires_.out.find("libfmt.so.9") != std::string::npos);
        RunResult v2 =
            run_in(kBuildDir, {"rpm", "-qp", "--queryformat", "%{VERSION}", rpm.string()});
        CHECK(v2.out == version);
        RunResult licence =
            run_in(kBuildDir, {"rpm", "-qp", "--queryformat", "%{LICENSE} %{URL}", rpm.string()});
        CHECK(licence.out.rfind("MIT https://", 0) == 0);
        CHECK(files.out.find("/usr/share/licenses/procrun/LICENSE\n") != std::string::npos);
    } else {
        PROCRUN_TOOL_MISSING_PART(
            "rpmbuild is not installed (apt-get install rpm): the .rpm was not built");
    }

    // --- .tar.gz
    // ----------------------------------------------------------------------------------
    {
        const fs::path tgz = cpack("TGZ", ".tar.gz");
        RunResult list = run_in(kBuildDir, {"tar", "-tzf", tgz.string()});
        REQUIRE(list.exit_code == 0);
        INFO("tar contents:\n" << list.out);
        const std::string top =
            tgz.filename().string().substr(0, tgz.filename().string().size() - 7);
        CHECK(list.out.find(top + "/bin/procrun\n") != std::string::npos);
        CHECK(list.out.find(top + "/share/man/man1/procrun.1.gz\n") != std::string::npos);
        CHECK(list.out.find(top + "/share/zsh/site-functions/_procrun\n") != std::string::npos);
        CHECK(list.out.find("share/doc/procrun") == std::string::npos);
    }
}

TEST_CASE("the Homebrew formula and the PKGBUILD are written for the source tarball",
          "[.packaging]") {
    if (!have("git"))
        PROCRUN_TOOL_MISSING("git is not installed: the source tarball and recipes were not made");
    if (!fs::exists(procrun::test::source_dir() / ".git"))
        PROCRUN_SKIP("not a git checkout: the source tarball and recipes were not made");
    TempDir build;
    RunResult configure =
        run_in(build.path(), {PROCRUN_CMAKE, "-S", procrun::test::source_dir().string(), "-B",
                              build.path().string(), "-DPROCRUN_BUILD_TESTS=OFF"});
    INFO(configure.out << configure.err);
    REQUIRE(configure.exit_code == 0);
    RunResult recipes = run_in(build.path(), {PROCRUN_CMAKE, "--build", build.path().string(),
                                              "--target", "procrun-recipes"});
    INFO(recipes.out << recipes.err);
    REQUIRE(recipes.exit_code == 0);

    const std::string version = version_of(procrun::test::run_procrun({"--version"}).out);
    const fs::path out = build.path() / "packaging";
    const fs::path tarball = out / ("procrun-" + version + ".tar.gz");
    REQUIRE(fs::is_regular_file(tarball));
    RunResult list = run_in(build.path(), {"tar", "-tzf", tarball.string()});
    CHECK(list.out.find("procrun-" + version + "/CMakeLists.txt\n") != std::string::npos);
    CHECK(list.out.find("procrun-" + version + "/docs/procrun.1.scd\n") != std::string::npos);
    RunResult sum = run_in(build.path(), {"sha256sum", tarball.string()});
    const std::string sha256 = sum.out.substr(0, 64);

    const std::string formula = read_file(out / "homebrew/procrun.rb");
    const std::string pkgbuild = read_file(out / "arch/PKGBUILD");
    for (const std::string* text : {&formula, &pkgbuild}) {
        // Every @FIELD@ was filled in.
        CHECK_FALSE(std::regex_search(*text, std::regex("@[A-Z_]+@")));
        CHECK(text->find(sha256) != std::string::npos);
    }
    CHECK(formula.find("class Procrun < Formula") != std::string::npos);
    CHECK(formula.find("\n  license \"MIT\"\n") != std::string::npos);
    CHECK(formula.find("\n  homepage \"https://") != std::string::npos);
    CHECK(pkgbuild.find("\nlicense=('MIT')\n") != std::string::npos);
    CHECK(pkgbuild.find("\nurl='https://") != std::string::npos);
    CHECK(formula.find("url \"file://" + tarball.string() + "\"") != std::string::npos);
    for (const char* dep : {"\"boost\" => :build", "\"cli11\" => :build", "\"cmake\" => :build",
                            "\"scdoc\" => :build", "\"fmt\"", "\"spdlog\"", "\"yaml-cpp\""}) {
        CHECK(formula.find(std::string("depends_on ") + dep) != std::string::npos);
    }
    if (have("ruby")) {
        RunResult syntax =
            run_in(build.path(), {"ruby", "-c", (out / "homebrew/procrun.rb").string()});
        INFO(syntax.err);
        CHECK(syntax.exit_code == 0);
    } else {
        PROCRUN_TOOL_MISSING_PART(
            "ruby is not installed (apt-get install ruby): the formula's syntax was not checked");
    }
    CHECK(fs::is_regular_file(out / "arch" / tarball.filename()));
    // The PKGBUILD is bash: source it and read its fields back.
    RunResult fields = run_in(
        out / "arch",
        {"bash", "-c",
         "set -e; source ./PKGBUILD; echo \"$pkgname $pkgver\"; echo \"${depends[*]}\"; "
         "echo \"${makedepends[*]}\"; echo \"${checkdepends[*]}\"; echo \"${sha256sums[*]}\"; "
         "declare -F build check package | tr '\\n' ' '"});
    INFO(fields.err);
    REQUIRE(fields.exit_code == 0);
    const auto lines = procrun::test::split_lines(fields.out);
    REQUIRE(lines.size() >= 6);
    CHECK(lines[0] == "procrun " + version);
    CHECK(lines[1] == "gcc-libs glibc fmt spdlog yaml-cpp");
    CHECK(lines[2] == "boost cli11 cmake scdoc");
    CHECK(lines[3] == "catch2-v2");
    CHECK(lines[4] == sha256);
    CHECK(lines[5] == "build check package ");
}
