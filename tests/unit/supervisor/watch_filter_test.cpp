// Which changed paths restart a watched type: the default exclusions,
// .gitignore, include and exclude, as a table.

#include "supervisor/watch_filter.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace procrun;

namespace {

PathPattern pattern(const char* text) {
    std::string why;
    auto p = parse_path_pattern(text, false, &why);
    REQUIRE(p);
    return *p;
}

}  // namespace

TEST_CASE("watch filter: default exclusions, .gitignore, include, exclude", "[watch]") {
    Watch w;
    w.include = {pattern("*.py"), pattern("templates/**")};
    w.exclude = {pattern("migrations/"), pattern("*_test.py")};
    const auto gitignore = parse_gitignore("*.sqlite3\n/media/\n!keep.sqlite3\n", ".gitignore");
    const std::vector<PathPattern> extra{PathPattern{"logs/out", true, true, false, {}}};
    const WatchFilter filter(w, gitignore.value, extra);

    struct Row {
        const char* path;
        bool is_dir;
        bool excluded;
    };
    const Row folders[] = {
        {".git", true, true},
        {"web/node_modules", true, true},
        {"app/__pycache__", true, true},
        {".venv", true, true},
        {"venv", true, true},
        {"target", true, true},
        {"build", true, true},
        {"dist", true, true},
        {"tmp", true, true},
        {"log", true, true},
        {".hg", true, true},
        {".svn", true, true},
        {"app/migrations", true, true},
        {"media", true, true},
        {"app/media", true, false},
        {"logs/out", true, true},
        {"logs", true, false},
        {"app", true, false},
        {"src/builder", true, false},
    };
    for (const auto& r : folders) {
        INFO(r.path);
        CHECK(filter.excluded(r.path, r.is_dir) == r.excluded);
    }
    struct Want {
        const char* path;
        bool wanted;
    };
    const Want files[] = {
        {"app/views.py", true},
        {"app/views.py.swp", false},
        {"app/.views.py.swx", false},
        {"app/views.py~", false},
        {"app/.#views.py", false},
        {"app/4913", false},
        {"app/#views.py#", false},
        {"app/views.py___jb_tmp___", false},
        {"app/views.py___jb_old___", false},
        {".procrun.lock", false},
        {"app/views_test.py", false},
        {"db.sqlite3", false},
        {"keep.sqlite3", false},  // kept by .gitignore, but not *.py
        {"templates/base.html", true},
        {"templates/a/b.html", true},
        {"static/app.css", false},
        {"../lib/shared.py", true},
    };
    for (const auto& r : files) {
        INFO(r.path);
        CHECK(filter.wanted(r.path) == r.wanted);
    }
}

TEST_CASE("watch filter: no include takes every file, and gitignore: false ignores .gitignore",
          "[watch]") {
    Watch w;
    w.gitignore = false;
    const auto gitignore = parse_gitignore("*.txt\n", ".gitignore");
    const std::vector<PathPattern> extra;
    const WatchFilter filter(w, gitignore.value, extra);
    CHECK(filter.wanted("notes.txt"));
    CHECK(filter.wanted("Procfile"));
    CHECK_FALSE(filter.wanted("x.swp"));
    Watch with;
    const WatchFilter ignoring(with, gitignore.value, extra);
    CHECK_FALSE(ignoring.wanted("notes.txt"));
    CHECK_FALSE(ignoring.wanted("a/b/notes.txt"));
    CHECK(ignoring.wanted("../other/notes.txt"));  // outside the root: .gitignore does not speak
}
