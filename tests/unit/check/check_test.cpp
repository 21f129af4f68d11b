#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "procrun/check.hpp"

using namespace procrun;

namespace {

// A Procfile built by hand (the lints do not depend on the parser): one
// `name: command` per line, the command starting after the colon's spaces.
Procfile make_procfile(std::string_view text) {
    Procfile p;
    p.file = "Procfile";
    int number = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        std::string_view line =
            text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++number;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        std::size_t start = 0;
        while (line[start] == ' ')
            ++start;
        std::size_t cmd = colon + 1;
        while (cmd < line.size() && line[cmd] == ' ')
            ++cmd;
        p.entries.push_back(ProcfileEntry{std::string(line.substr(start, colon - start)),
                                          std::string(line.substr(cmd)), number,
                                          static_cast<int>(cmd) + 1});
    }
    return p;
}

// "Procfile:1:6: check/web-port: message" for every diagnostic.
std::vector<std::string> run_lints(std::string_view procfile, const MemoryFiles& files = {},
                                   const LintOptions& options = {}) {
    std::vector<std::string> out;
    for (const auto& d : lint_procfile(make_procfile(procfile), procfile, files, options)) {
        out.push_back(fmt::format("{}:{}:{}: {}: {}", d.where.file, d.where.line, d.where.column,
                                  d.code, d.message));
    }
    return out;
}

std::vector<Diagnostic> lint_full(std::string_view procfile, const MemoryFiles& files = {},
                                  const LintOptions& options = {}) {
    return lint_procfile(make_procfile(procfile), procfile, files, options);
}

using Lines = std::vector<std::string>;

const MemoryFiles kFlaskApp{{{"app.py", "from flask import Flask\n\napp = Flask(__name__)\n"}}};

}  // namespace

TEST_CASE("MemoryFiles reads files and implies directories", "[check]") {
    MemoryFiles f{{{"a/b/c.py", "x"}, {"top.py", "y"}}};
    CHECK(f.read("a/b/c.py") == "x");
    CHECK_FALSE(f.read("a/b").has_value());
    CHECK(f.is_directory("a"));
    CHECK(f.is_directory("a/b"));
    CHECK(f.is_directory(""));
    CHECK_FALSE(f.is_directory("a/b/c.py"));
    CHECK_FALSE(f.is_directory("top"));
}

TEST_CASE("web commands that use $PORT pass", "[check]") {
    for (const char* cmd : {
             "web: node server.js --port $PORT",
             "web: node server.js --port=${PORT}",
             "web: php -S 0.0.0.0:${PORT:-8000} -t public",
             "web: sh -c 'exec server --listen :$PORT'",
         }) {
        INFO(cmd);
        CHECK(run_lints(cmd) == Lines{});
    }
}

TEST_CASE("web without $PORT is a warning, with a hint per server", "[check]") {
    CHECK(run_lints("web: node server.js") ==
          Lines{"Procfile:1:6: check/web-port: web process does not use $PORT"});
    CHECK(run_lints("web: node server.js $PORTS") ==
          Lines{"Procfile:1:6: check/web-port: web process does not use $PORT"});
    CHECK(run_lints("web: uvicorn main:app --host 0.0.0.0") ==
          Lines{"Procfile:1:6: check/web-port: web process runs uvicorn without $PORT"});
    CHECK(run_lints("web: exec python -m uvicorn main:app") ==
          Lines{"Procfile:1:21: check/web-port: web process runs uvicorn without $PORT"});
    CHECK(run_lints("web: python manage.py runserver") ==
          Lines{"Procfile:1:23: check/web-port: web process runs runserver without $PORT"});
    CHECK(run_lints("web: bundle exec puma") ==
          Lines{"Procfile:1:18: check/web-port: web process runs puma without $PORT"});
    CHECK(run_lints("web: gunicorn -b unix:/tmp/app.sock app:app", kFlaskApp) ==
          Lines{"Procfile:1:6: check/web-port: web process runs gunicorn without $PORT"});

    const auto d = lint_full("web: uvicorn main:app");
    REQUIRE(d.size() == 1);
    CHECK(d[0].severity == Severity::warning);
    CHECK(d[0].hint == "uvicorn does not read PORT: add `--host 0.0.0.0 --port $PORT`");
    CHECK(d[0].source_line == "web: uvicorn main:app");
    const auto g = lint_full("web: node server.js");
    REQUIRE(g.size() == 1);
    CHECK(g[0].hint ==
          "the platform routes HTTP traffic to the port in $PORT: pass it to the server (e.g. "
          "`--port $PORT`), unless the program reads PORT itself");
}

TEST_CASE("servers that read PORT themselves pass", "[check]") {
    CHECK(run_lints("web: gunicorn app:app", kFlaskApp) == Lines{});
    CHECK(run_lints("web: gunicorn --workers 4 -k gevent app:app", kFlaskApp) == Lines{});
    CHECK(run_lints("web: bundle exec rails server -b 0.0.0.0") == Lines{});
    CHECK(run_lints("web: bin/rails s") == Lines{});
    CHECK(run_lints("web: npx next start") == Lines{});
    CHECK(run_lints("web: heroku-php-apache2 public/") == Lines{});
    MemoryFiles puma{{{"config/puma.rb", "port ENV.fetch(\"PORT\") { 3000 }\n"}}};
    CHECK(run_lints("web: bundle exec puma -C config/puma.rb", puma) == Lines{});
    CHECK(run_lints("web: bundle exec puma", puma) == Lines{});
    MemoryFiles custom{{{"conf/web.rb", "port ENV['PORT']\n"}}};
    CHECK(run_lints("web: puma --config conf/web.rb", custom) == Lines{});
    CHECK(run_lints("web: puma --config conf/other.rb", custom) ==
          Lines{"Procfile:1:6: check/web-port: web process runs puma without $PORT"});
}

TEST_CASE("a script of the app's own that reads PORT passes", "[check]") {
    MemoryFiles node{{{"server.js", "app.listen(process.env.PORT || 3000)\n"},
                      {"bin/web", "#!/bin/sh\nexec thin start -p \"$PORT\"\n"},
                      {"src/app.py", "port = int(os.environ['PORT'])\n"},
                      {"other.js", "app.listen(3000)\n"}}};
    CHECK(run_lints("web: node server.js", node) == Lines{});
    CHECK(run_lints("web: node --enable-source-maps server.js", node) == Lines{});
    CHECK(run_lints("web: bin/web", node) == Lines{});
    CHECK(run_lints("web: ./bin/web", node) == Lines{});
    CHECK(run_lints("web: cd src && python app.py", node) == Lines{});
    CHECK(run_lints("web: node other.js", node) ==
          Lines{"Procfile:1:6: check/web-port: web process does not use $PORT"});
    CHECK(run_lints("web: node missing.js", node) ==
          Lines{"Procfile:1:6: check/web-port: web process does not use $PORT"});
}

TEST_CASE("package.json scripts are followed", "[check]") {
    MemoryFiles app{{{"package.json", R"({
  "name": "app",
  "scripts": {
    "build": "tsc",
    "start": "node dist/index.js",
    "serve": "next start",
    "plain": "node plain.js",
    "quoted": "node \"dist/index.js\""
  }
})"},
                     {"dist/index.js", "server.listen(process.env.PORT)\n"},
                     {"plain.js", "server.listen(8080)\n"}}};
    CHECK(run_lints("web: npm start", app) == Lines{});
    CHECK(run_lints("web: npm run serve", app) == Lines{});
    CHECK(run_lints("web: yarn quoted", app) == Lines{});
    CHECK(run_lints("web: pnpm run start", app) == Lines{});
    CHECK(run_lints("web: npm run plain", app) ==
          Lines{"Procfile:1:6: check/web-port: web process does not use $PORT"});
    CHECK(run_lints("web: npm run missing", app) ==
          Lines{"Procfile:1:6: check/web-port: web process does not use $PORT"});
    // Without a start script npm runs `node server.js`.
    MemoryFiles bare{{{"package.json", "{}"}, {"server.js", "listen(process.env.PORT)"}}};
    CHECK(run_lints("web: npm start", bare) == Lines{});
    CHECK(run_lints("web: cd web && npm start", bare) ==
          Lines{"Procfile:1:6: check/web-port: web process does not use $PORT"});
    MemoryFiles loop{{{"package.json", R"({"scripts": {"start": "npm start"}})"}}};
    CHECK(run_lints("web: npm start", loop) ==
          Lines{"Procfile:1:6: check/web-port: web process does not use $PORT"});
}

TEST_CASE("the script of sh -c is checked like a command", "[check]") {
    CHECK(run_lints("web: sh -c 'cd src && gunicorn app:app'") ==
          Lines{"Procfile:1:32: check/gunicorn-module: gunicorn module 'app' not found: no "
                "app.py or app/__init__.py under src/"});
    CHECK(run_lints("web: bash -c \"uvicorn main:app --port 8000\"") ==
          Lines{"Procfile:1:39: check/hard-coded-port: web command hard-codes port 8000"});
    CHECK(run_lints("web: sh -c \"uvicorn main:app --port \\\"8000\\\"\"") ==
          Lines{"Procfile:1:6: check/web-port: web process does not use $PORT"});
}

TEST_CASE("an sh -c script whose quoting does not map onto the line is not split", "[check]") {
    // 'gunicorn '"wsgi:app" is one word; its columns would be off, so it is left alone.
    CHECK(run_lints("worker: sh -c 'gunicorn '\"wsgi:app\"") == Lines{});
    CHECK(run_lints("worker: sh -c 'gunicorn wsgi:app'") ==
          Lines{"Procfile:1:25: check/gunicorn-module: gunicorn module 'wsgi' not found: no "
                "wsgi.py or wsgi/__init__.py under the root"});
}

TEST_CASE("only the web process is checked for PORT", "[check]") {
    CHECK(run_lints("worker: celery -A tasks worker\nclock: uvicorn app:app --port 9000") ==
          Lines{});
}

TEST_CASE("hard-coded ports in the web command", "[check]") {
    CHECK(run_lints("web: gunicorn -b 0.0.0.0:8000 app:app", kFlaskApp) ==
          Lines{"Procfile:1:26: check/hard-coded-port: web command hard-codes port 8000"});
    CHECK(run_lints("web: gunicorn --bind=:8000 app:app", kFlaskApp) ==
          Lines{"Procfile:1:23: check/hard-coded-port: web command hard-codes port 8000"});
    CHECK(run_lints("web: uvicorn main:app --port 8080") ==
          Lines{"Procfile:1:30: check/hard-coded-port: web command hard-codes port 8080"});
    CHECK(run_lints("web: rails server -p 3000") ==
          Lines{"Procfile:1:22: check/hard-coded-port: web command hard-codes port 3000"});
    CHECK(run_lints("web: PORT=3000 node index.js") ==
          Lines{"Procfile:1:11: check/hard-coded-port: web command hard-codes port 3000"});
    CHECK(run_lints("web: python manage.py runserver 0.0.0.0:8000") ==
          Lines{"Procfile:1:41: check/hard-coded-port: web command hard-codes port 8000"});
    CHECK(run_lints("web: python3 -m http.server 8000") ==
          Lines{"Procfile:1:29: check/hard-coded-port: web command hard-codes port 8000"});
    CHECK(run_lints("web: java -Dserver.port=8080 -jar app.jar") ==
          Lines{"Procfile:1:25: check/hard-coded-port: web command hard-codes port 8080"});
    CHECK(run_lints("web: hypercorn app:app --bind 'tcp://0.0.0.0:5000'") ==
          Lines{"Procfile:1:46: check/hard-coded-port: web command hard-codes port 5000"});

    const auto d = lint_full("web: gunicorn -b 0.0.0.0:8000 app:app", kFlaskApp);
    REQUIRE(d.size() == 1);
    CHECK(d[0].hint ==
          "the platform sets PORT for the web process and routes traffic only to that port: use "
          "`0.0.0.0:$PORT`");
    const auto loopback = lint_full("web: uvicorn main:app --bind localhost:8000");
    REQUIRE(loopback.size() == 1);
    CHECK(loopback[0].hint ==
          "the platform sets PORT for the web process and routes traffic only to that port: use "
          "`0.0.0.0:$PORT` (on 0.0.0.0: the router cannot reach a loopback address)");
    const auto assignment = lint_full("web: PORT=3000 node index.js");
    REQUIRE(assignment.size() == 1);
    CHECK(assignment[0].hint ==
          "remove it: the platform sets PORT for the web process and routes traffic only to "
          "that port");
}

TEST_CASE("a hard-coded port elsewhere is not a finding", "[check]") {
    CHECK(run_lints("web: node server.js --port $PORT --redis redis://localhost:6379") == Lines{});
    CHECK(run_lints("web: gunicorn -p 8000.pid app:app", kFlaskApp) == Lines{});
    CHECK(run_lints("web: gunicorn -w 4 -t 8000 app:app", kFlaskApp) == Lines{});
}

TEST_CASE("names --strict would reject are warnings unless --strict is on", "[check]") {
    CHECK(run_lints("Web_1: run-it\n  ok-name: x\nweb-: y\nw.x: z") ==
          Lines{"Procfile:1:1: check/strict-name: process name 'Web_1' would be rejected by "
                "--strict: it contains an uppercase letter",
                "Procfile:3:1: check/strict-name: process name 'web-' would be rejected by "
                "--strict: it must end with a letter or digit",
                "Procfile:4:1: check/strict-name: process name 'w.x' would be rejected by "
                "--strict: it contains '.'"});
    const auto d = lint_full("worker: a\n  Big_Worker: b");
    REQUIRE(d.size() == 1);
    CHECK(d[0].code == "check/strict-name");
    CHECK(d[0].where.line == 2);
    CHECK(d[0].where.column == 3);
    CHECK(d[0].hint ==
          "Cloud Native Buildpacks (Heroku's current stack) and Kubernetes accept lowercase a-z, "
          "0-9 and '-', starting and ending with a letter or digit, at most 63 characters; "
          "rename it, e.g. 'big-worker'");
    LintOptions strict;
    strict.strict = true;
    CHECK(run_lints("Big_Worker: b", {}, strict) == Lines{});
    CHECK(run_lints("release: ./bin/release\nweb-2: x --port $PORT") == Lines{});
}

TEST_CASE("gunicorn MODULE must resolve under the root", "[check]") {
    CHECK(run_lints("web: gunicorn wsgi:app") ==
          Lines{"Procfile:1:15: check/gunicorn-module: gunicorn module 'wsgi' not found: no "
                "wsgi.py or wsgi/__init__.py under the root"});
    CHECK(run_lints("web: gunicorn myproject.wsgi") ==
          Lines{"Procfile:1:15: check/gunicorn-module: gunicorn module 'myproject.wsgi' not "
                "found: no myproject/wsgi.py or myproject/wsgi/__init__.py under the root"});
    MemoryFiles django{{{"myproject/wsgi.py", "application = get_wsgi_application()\n"}}};
    CHECK(run_lints("web: gunicorn myproject.wsgi", django) == Lines{});
    CHECK(run_lints("web: gunicorn myproject.wsgi:application --log-file -", django) == Lines{});

    MemoryFiles src{{{"src/app.py", "app = make()\n"}, {"lib/pkg/__init__.py", "app = 1\n"}}};
    CHECK(run_lints("web: gunicorn --chdir src app:app", src) == Lines{});
    CHECK(run_lints("web: gunicorn --chdir=src app:app", src) == Lines{});
    CHECK(run_lints("web: cd src && gunicorn app:app", src) == Lines{});
    CHECK(run_lints("web: gunicorn --pythonpath src,lib pkg:app", src) == Lines{});
    CHECK(run_lints("web: gunicorn --chdir lib app:app", src) ==
          Lines{"Procfile:1:27: check/gunicorn-module: gunicorn module 'app' not found: no "
                "app.py or app/__init__.py under lib/"});
    // Absolute or variable directories cannot be checked: no finding.
    CHECK(run_lints("web: gunicorn --chdir /app/src wsgi:app") == Lines{});
    CHECK(run_lints("web: cd $APP_DIR && gunicorn wsgi:app") == Lines{});
    CHECK(run_lints("web: gunicorn $APP") == Lines{});
    CHECK(run_lints("web: gunicorn --paste production.ini") == Lines{});
    CHECK(run_lints("web: gunicorn --check-config") == Lines{});

    const auto d = lint_full("web: gunicorn --chdir lib app:app", src);
    REQUIRE(d.size() == 1);
    CHECK(d[0].hint ==
          "gunicorn imports MODULE:APP from its working directory and --pythonpath (searched: "
          "lib/); check the spelling, or add `--chdir DIR` where the module lives");
}

TEST_CASE("gunicorn MODULE written as a file or a path", "[check]") {
    const auto file = lint_full("web: gunicorn app.py");
    REQUIRE(file.size() == 1);
    CHECK(file[0].code == "check/gunicorn-module");
    CHECK(file[0].message == "'app.py' is not a Python module name");
    CHECK(file[0].hint == "name the module, not the file: `app:app`");
    const auto path = lint_full("web: gunicorn src/main:api");
    REQUIRE(path.size() == 1);
    CHECK(path[0].hint == "use `--chdir src main:api`");
}

TEST_CASE("gunicorn APP must be defined by the module", "[check]") {
    MemoryFiles wsgi{{{"wsgi.py", "import os\napplication = get_wsgi_application()\n"}}};
    CHECK(run_lints("web: gunicorn wsgi:app", wsgi) ==
          Lines{"Procfile:1:20: check/gunicorn-app: 'app' is not defined in wsgi.py"});
    const auto d = lint_full("web: gunicorn wsgi:app", wsgi);
    REQUIRE(d.size() == 1);
    CHECK(d[0].hint == "wsgi.py defines 'application': use `wsgi:application`");

    MemoryFiles factory{{{"main.py",
                          "from flask import Flask\n\ndef create_app(config=None):\n"
                          "    return Flask(__name__)\n"}}};
    CHECK(run_lints("web: gunicorn 'main:create_app()'", factory) == Lines{});
    CHECK(run_lints("web: gunicorn \"main:create_app('prod')\"", factory) == Lines{});
    const auto f = lint_full("web: gunicorn main:app", factory);
    REQUIRE(f.size() == 1);
    CHECK(f[0].hint == "main.py defines 'create_app': use `main:create_app()`");

    CHECK(run_lints("web: gunicorn 'main:app'", factory) ==
          Lines{"Procfile:1:21: check/gunicorn-app: 'app' is not defined in main.py"});
}

TEST_CASE("gunicorn APP that gunicorn cannot parse", "[check]") {
    MemoryFiles dash{{{"app.py", "app = Dash()\nserver = app.server\n"}}};
    CHECK(run_lints("web: gunicorn app:app.server", dash) ==
          Lines{"Procfile:1:19: check/gunicorn-app: gunicorn cannot load 'app.server' from "
                "'app': not a name or a call"});
    CHECK(run_lints("web: gunicorn app:server", dash) == Lines{});
}

TEST_CASE("a namespace package defines no APP", "[check]") {
    MemoryFiles ns{{{"pkg/views.py", "x = 1\n"}}};
    CHECK(run_lints("web: gunicorn pkg:app", ns) ==
          Lines{"Procfile:1:19: check/gunicorn-app: 'pkg' is a directory without __init__.py, "
                "so it defines no 'app'"});
}

TEST_CASE("the Python definition scan", "[check]") {
    auto defines = [](const std::string& source, const std::string& name) {
        MemoryFiles f{{{"m.py", source}}};
        return run_lints("worker: gunicorn m:" + name, f).empty();
    };
    CHECK(defines("app = Flask(__name__)\n", "app"));
    CHECK(defines("app: Flask = Flask(__name__)\n", "app"));
    CHECK(defines("app, db = create()\n", "app"));
    CHECK(defines("(db, app) = create()\n", "app"));
    CHECK(defines("x = app = make()\n", "x"));
    CHECK(defines("def app(environ, start_response):\n    pass\n", "app"));
    CHECK(defines("async def app(scope, receive, send):\n    pass\n", "app"));
    CHECK(defines("class app:\n    pass\n", "app"));
    CHECK(defines("from .factory import app\n", "app"));
    CHECK(defines("from .factory import make as app\n", "app"));
    CHECK(defines("from x import (\n    one,\n    app,\n)\n", "app"));
    CHECK(defines("import server.app as app\n", "app"));
    CHECK(defines("import app.core\n", "app"));
    CHECK(defines("try:\n    from fast import app\nexcept ImportError:\n    app = None\n", "app"));
    CHECK(defines("with make() as app:\n    pass\n", "app"));
    CHECK(defines("if (app := make()):\n    pass\n", "app"));
    CHECK(defines("from x import *\n", "app"));  // unknown: no finding
    CHECK(defines("def __getattr__(name):\n    return 1\n", "app"));

    CHECK_FALSE(defines("application = make()\n", "app"));
    CHECK_FALSE(defines("# app = make()\n", "app"));
    CHECK_FALSE(defines("if app == 1:\n    pass\n", "app"));
    CHECK_FALSE(defines("print(app=1)\n", "app"));
    CHECK_FALSE(defines("apps = []\nmy_app = 1\n", "app"));
    CHECK_FALSE(defines("from x import apps\n", "app"));
    CHECK_FALSE(defines("def apply():\n    pass\n", "app"));
}

TEST_CASE("requirements.txt must list the web server, pinned", "[check]") {
    MemoryFiles f = kFlaskApp;
    f.add("requirements.txt", "flask==3.0.0\n");
    CHECK(run_lints("web: gunicorn app:app", f) ==
          Lines{"Procfile:1:6: check/requirements-missing: web runs gunicorn, but "
                "requirements.txt does not list it"});

    f.add("requirements.txt", "flask==3.0.0\n# the server\ngunicorn   # latest\n");
    const auto d = lint_full("web: gunicorn app:app", f);
    REQUIRE(d.size() == 1);
    CHECK(d[0].code == "check/requirements-unpinned");
    CHECK(d[0].message == "gunicorn is not pinned to a version");
    CHECK(d[0].where.file == "requirements.txt");
    CHECK(d[0].where.line == 3);
    CHECK(d[0].where.column == 1);
    CHECK(d[0].source_line == "gunicorn   # latest");
    CHECK(d[0].hint ==
          "pin the version you tested (e.g. `gunicorn==X.Y.Z`), so a new release cannot change "
          "the web server under a deploy");

    f.add("requirements.txt", "  gunicorn >= 20.1 ; python_version > '3.8'\n");
    CHECK(run_lints("web: gunicorn app:app", f) ==
          Lines{"requirements.txt:1:3: check/requirements-unpinned: gunicorn is not pinned: "
                "'gunicorn>= 20.1' has no upper bound"});

    for (const char* pinned :
         {"gunicorn==21.2.0\n", "Gunicorn[gevent]==21.2.0\n", "gunicorn~=21.2\n",
          "gunicorn>=20,<22\n", "gunicorn @ https://example.com/gunicorn.whl\n",
          "gunicorn==21.2.0 \\\n    --hash=sha256:abc\n"}) {
        INFO(pinned);
        f.add("requirements.txt", pinned);
        CHECK(run_lints("web: gunicorn app:app", f) == Lines{});
    }
}

TEST_CASE("requirements.txt includes and constraints", "[check]") {
    MemoryFiles f = kFlaskApp;
    f.add("requirements.txt", "-r requirements/base.txt\n");
    f.add("requirements/base.txt", "flask\n-r prod.txt\n");
    f.add("requirements/prod.txt", "gunicorn==22.0.0\n");
    CHECK(run_lints("web: gunicorn app:app", f) == Lines{});

    f.add("requirements/prod.txt", "gunicorn\n");
    CHECK(run_lints("web: gunicorn app:app", f) ==
          Lines{"requirements/prod.txt:1:1: check/requirements-unpinned: gunicorn is not pinned "
                "to a version"});
    f.add("requirements.txt", "-r requirements/base.txt\n-c constraints.txt\n");
    f.add("constraints.txt", "gunicorn==22.0.0\n");
    CHECK(run_lints("web: gunicorn app:app", f) == Lines{});

    // A cycle of includes ends.
    f.add("requirements.txt", "-r requirements.txt\ngunicorn==1.0\n");
    CHECK(run_lints("web: gunicorn app:app", f) == Lines{});
}

TEST_CASE("requirements are only checked for Python servers with a requirements.txt", "[check]") {
    CHECK(run_lints("web: gunicorn app:app", kFlaskApp) == Lines{});  // no requirements.txt
    MemoryFiles f{{{"requirements.txt", "django==5.0\n"}}};
    CHECK(run_lints("web: bundle exec rails server", f) == Lines{});
    CHECK(run_lints("web: uvicorn main:app --port $PORT", f) ==
          Lines{"Procfile:1:6: check/requirements-missing: web runs uvicorn, but "
                "requirements.txt does not list it"});
    CHECK(run_lints("web: waitress-serve --port=$PORT app:app", f) ==
          Lines{"Procfile:1:6: check/requirements-missing: web runs waitress, but "
                "requirements.txt does not list it"});
    LintOptions shown;
    shown.display_root = "app";
    f.add("requirements.txt", "uvicorn\n");
    const auto d = lint_full("web: uvicorn main:app --port $PORT", f, shown);
    REQUIRE(d.size() == 1);
    CHECK(d[0].where.file == "app/requirements.txt");
}

TEST_CASE("shell syntax around the server", "[check]") {
    // Redirections, pipes and comments do not become gunicorn's MODULE:APP.
    CHECK(run_lints("web: gunicorn app:app 2>&1 | tee -a log/web.log", kFlaskApp) == Lines{});
    CHECK(run_lints("web: gunicorn app:app > log.txt", kFlaskApp) == Lines{});
    CHECK(run_lints("web: gunicorn app:app # comment", kFlaskApp) == Lines{});
    CHECK(run_lints("web: env FOO=1 nice -n 5 newrelic-admin run-program gunicorn app:app",
                    kFlaskApp) == Lines{});
    CHECK(run_lints("web: ./bin/migrate && exec gunicorn wsgi:app") ==
          Lines{"Procfile:1:37: check/gunicorn-module: gunicorn module 'wsgi' not found: no "
                "wsgi.py or wsgi/__init__.py under the root"});
    // Unbalanced quotes and odd input do not crash.
    CHECK_NOTHROW(run_lints("web: gunicorn 'app:app"));
    CHECK_NOTHROW(run_lints("web: \"\\"));
    CHECK_NOTHROW(run_lints("web: gunicorn -b"));
    CHECK_NOTHROW(run_lints("web: >"));
}

TEST_CASE("promote_warnings turns warnings into errors", "[check]") {
    std::vector<Diagnostic> d{make_warning({"Procfile", 1, 1}, "a", "m"),
                              make_error({"Procfile", 2, 1}, "b", "m")};
    promote_warnings(d);
    CHECK(d[0].severity == Severity::error);
    CHECK(d[1].severity == Severity::error);
}

TEST_CASE("GitHub workflow command escaping", "[check]") {
    CHECK(github_escape_data("50% a\r\nb: c, d") == "50%25 a%0D%0Ab: c, d");
    CHECK(github_escape_property("dir,x/Procfile:1%") == "dir%2Cx/Procfile%3A1%25");

    Diagnostic d = make_warning({"Procfile", 3, 6}, "check/web-port",
                                "web process does not use $PORT", "", "pass it: --port $PORT");
    CHECK(format_github(d) ==
          "::warning file=Procfile,line=3,col=6,title=check/web-port::web process does not use "
          "$PORT%0Ahint: pass it: --port $PORT\n");
    Diagnostic e = make_error({"--formation", 0, 0}, "formation/unknown", "100% wrong");
    CHECK(format_github(e) == "::error file=--formation,title=formation/unknown::100%25 wrong\n");
    Diagnostic n{Severity::note, {"a,b", 2, 0}, "", "note", "", ""};
    CHECK(format_github(n) == "::notice file=a%2Cb,line=2::note\n");
}

TEST_CASE("success and failure lines", "[check]") {
    CheckSummary s;
    s.procfile = "Procfile";
    s.types = {{"web", "x", 1, 2}, {"worker", "y", 2, 1}, {"clock", "z", 3, 0}};
    s.instances = {{"web.1", 5000}, {"web.2", 5001}, {"worker.1", 5100}};
    CHECK(format_success(s, 0) == "valid Procfile: web=2, worker, clock=0 (3 processes)\n");
    CHECK(format_success(s, 1) ==
          "valid Procfile: web=2, worker, clock=0 (3 processes), 1 warning\n");
    s.types = {{"web", "x", 1, 1}};
    s.instances = {{"web.1", 5000}};
    CHECK(format_success(s, 2) == "valid Procfile: web (1 process), 2 warnings\n");
    CHECK(format_failure(1, 0) == "check failed: 1 error\n");
    CHECK(format_failure(3, 1) == "check failed: 3 errors, 1 warning\n");
}

TEST_CASE("the JSON report", "[check]") {
    CheckSummary s;
    s.valid = false;
    s.procfile = "Procfile";
    s.env_files = {".env"};
    s.types = {{"web", "node \"x\".js", 1, 1}};
    s.instances = {{"web.1", 5000}};
    std::vector<Diagnostic> d{
        make_error({"Procfile", 2, 4}, "procfile/space-before-colon", "space before ':'", "web : x",
                   "remove it"),
        make_warning({"--formation", 0, 0}, "x/y", "whole-input"),
    };
    CHECK(format_check_json(s, d) == R"({
  "summary": {
    "valid": false,
    "errors": 1,
    "warnings": 1,
    "procfile": "Procfile",
    "config": null,
    "env_files": [
      ".env"
    ],
    "process_types": [
      {
        "name": "web",
        "command": "node \"x\".js",
        "line": 1,
        "count": 1
      }
    ],
    "instances": [
      {
        "name": "web.1",
        "port": 5000
      }
    ]
  },
  "diagnostics": [
    {
      "severity": "error",
      "code": "procfile/space-before-colon",
      "file": "Procfile",
      "line": 2,
      "column": 4,
      "message": "space before ':'",
      "hint": "remove it"
    },
    {
      "severity": "warning",
      "code": "x/y",
      "file": "--formation",
      "line": null,
      "column": null,
      "message": "whole-input",
      "hint": null
    }
  ]
}
)");
}
