#include "procrun/project.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace procrun {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kProcfileName = "Procfile";
constexpr std::string_view kProcrunConfig = ".procrun.yaml";
constexpr std::string_view kForemanConfig = ".foreman";
constexpr std::string_view kCommandLine = "command line";

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

// Reads a whole file; on failure returns nullopt and sets `why` to the reason.
std::optional<std::string> read_file(const fs::path& path, std::string& why) {
    errno = 0;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) {
        why = std::strerror(errno != 0 ? errno : EIO);
        return std::nullopt;
    }
    std::string text;
    char buf[65536];
    while (true) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
        text.append(buf, n);
        if (n < sizeof buf)
            break;
    }
    if (std::ferror(f.get()) != 0) {
        why = std::strerror(errno != 0 ? errno : EIO);
        return std::nullopt;
    }
    return text;
}

class Loader {
  public:
    Loader(const LoadOptions& options, const Environment& os_env, Parsed<Project>& out)
        : options_(options), os_env_(os_env), out_(out) {
        std::error_code ec;
        cwd_ = fs::current_path(ec);
    }

    void run();

  private:
    const LoadOptions& options_;
    const Environment& os_env_;
    Parsed<Project>& out_;
    fs::path cwd_;
    std::string config_text_;
    std::optional<Location> port_where_;  // the env file line that set PORT
    std::string port_line_;

    Project& project() { return out_.value; }

    void error(Location where, std::string code, std::string message, std::string hint = {},
               std::string source_line = {}) {
        out_.diagnostics.push_back(make_error(std::move(where), std::move(code), std::move(message),
                                              std::move(source_line), std::move(hint)));
    }

    // A path as the user would write it: relative to the current directory
    // when it is under it, else absolute.
    [[nodiscard]] std::string display(const fs::path& p) const {
        fs::path abs = (p.is_absolute() || cwd_.empty() ? p : cwd_ / p).lexically_normal();
        if (!cwd_.empty()) {
            const fs::path rel = abs.lexically_relative(cwd_);
            if (!rel.empty() && *rel.begin() != "..") {
                std::string s = rel.string();
                if (!s.empty() && s.back() == '/')
                    s.pop_back();
                return s;
            }
        }
        std::string s = abs.string();
        if (s.size() > 1 && s.back() == '/')
            s.pop_back();
        return s;
    }

    [[nodiscard]] std::string describe_dir(const fs::path& dir) const {
        const std::string d = display(dir);
        if (d == ".")
            return fmt::format("the current directory ({})", cwd_.string());
        return d;
    }

    // Where a setting's error points: its config file line, or the option.
    [[nodiscard]] static Location option_where(const Location& where, std::string_view option) {
        if (where.line > 0 || where.file != kCommandLine)
            return where;
        return Location{std::string(option), 0, 0};
    }

    [[nodiscard]] std::string source_line_of(const Location& where) const {
        if (where.line <= 0 || where.file == kCommandLine)
            return {};
        return std::string(line_at(config_text_, where.line));
    }

    [[nodiscard]] static bool from_config(const Location& where) {
        return where.file != kCommandLine && where.line > 0;
    }

    bool check_root(const fs::path& root, const Location& where);
    void check_names_loosely(const std::optional<Formation>& formation);
    void read_config(const fs::path& root);
    void resolve_config_paths(Settings& s, const fs::path& dir);
    bool read_procfile(const fs::path& root);
    void read_env_files(const fs::path& root);
    std::optional<Formation> formation();
    int base_port();
    void lifecycles(PlanInput& input);
};

bool Loader::check_root(const fs::path& root, const Location& where) {
    std::error_code ec;
    const fs::file_status st = fs::status(root, ec);
    if (!fs::exists(st)) {
        error(option_where(where, "--root"), "project/root-not-found",
              fmt::format("root directory '{}' does not exist", display(root)), {},
              source_line_of(where));
        return false;
    }
    if (!fs::is_directory(st)) {
        error(option_where(where, "--root"), "project/root-not-a-directory",
              fmt::format("root '{}' is not a directory", display(root)),
              "--root takes the directory the processes run in; the Procfile goes to -f",
              source_line_of(where));
        return false;
    }
    return true;
}

void Loader::resolve_config_paths(Settings& s, const fs::path& dir) {
    auto resolve = [&dir](std::string& value) {
        const fs::path p(value);
        if (p.is_relative())
            value = (dir / p).string();
    };
    if (s.procfile)
        resolve(s.procfile->value);
    if (s.root)
        resolve(s.root->value);
    if (s.env_files) {
        for (auto& f : s.env_files->value)
            resolve(f);
    }
    if (s.template_dir)
        resolve(s.template_dir->value);
}

void Loader::read_config(const fs::path& root) {
    std::error_code ec;
    const fs::path procrun_path = root / kProcrunConfig;
    const fs::path foreman_path = root / kForemanConfig;
    const bool have_procrun = fs::exists(procrun_path, ec);
    const bool have_foreman = fs::exists(foreman_path, ec);
    if (!have_procrun && !have_foreman)
        return;

    const fs::path path = have_procrun ? procrun_path : foreman_path;
    const std::string shown = display(path);
    if (have_procrun && have_foreman) {
        out_.diagnostics.push_back(make_warning(
            Location{display(foreman_path), 0, 0}, "config/foreman-ignored",
            fmt::format("{} is ignored because {} exists", display(foreman_path), shown), {},
            fmt::format("move its settings into {} and delete it", shown)));
    }
    if (fs::is_directory(path, ec)) {
        error(Location{shown, 0, 0}, "config/not-a-file",
              fmt::format("config file '{}' is a directory", shown));
        return;
    }
    std::string why;
    auto text = read_file(path, why);
    if (!text) {
        error(Location{shown, 0, 0}, "config/unreadable",
              fmt::format("cannot read config file '{}': {}", shown, why));
        return;
    }
    config_text_ = std::move(*text);
    project().config_path = shown;
    Parsed<Settings> parsed = parse_config(
        config_text_, shown, have_procrun ? ConfigDialect::procrun : ConfigDialect::foreman);
    for (auto& d : parsed.diagnostics)
        out_.diagnostics.push_back(std::move(d));
    resolve_config_paths(parsed.value, path.parent_path());
    project().settings = std::move(parsed.value);
}

std::vector<std::string> near_miss_hints(const std::vector<std::string>& found) {
    std::vector<std::string> hints;
    for (const auto& name : found) {
        const std::string l = lower(name);
        if (l.rfind("procfile.", 0) == 0 && l != "procfile.txt" && l != "procfile.yml" &&
            l != "procfile.yaml" && l != "procfile.py" && l != "procfile.sh") {
            hints.push_back(fmt::format("rename it to Procfile, or pass it with -f {}", name));
        } else {
            hints.push_back(fmt::format("rename it: mv '{}' Procfile", name));
        }
    }
    return hints;
}

bool Loader::read_procfile(const fs::path& root) {
    const Settings& s = project().settings;
    const bool explicit_path = s.procfile.has_value();
    const fs::path path = explicit_path ? fs::path(s.procfile->value) : root / kProcfileName;
    const std::string shown = display(path);
    project().procfile_path = shown;
    const Location file_where{shown, 0, 0};
    const Location option =
        explicit_path ? option_where(s.procfile->where, "--procfile") : file_where;
    const std::string option_line = explicit_path ? source_line_of(s.procfile->where) : "";

    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) {
        if (!explicit_path && !options_.require_procfile)
            return true;
        const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
        const std::vector<std::string> found = procfile_near_misses(dir);
        if (!found.empty() && (!explicit_path || path.filename() == kProcfileName)) {
            std::string names;
            for (const auto& f : found)
                names += (names.empty() ? "'" : ", '") + f + "'";
            error(option, "procfile/near-miss",
                  fmt::format("no Procfile in {}, but found {}", describe_dir(dir), names),
                  fmt::format("the platform needs a file named exactly `Procfile` (capital P, "
                              "no extension); {}",
                              near_miss_hints(found).front()),
                  option_line);
        } else if (explicit_path) {
            error(option, "procfile/not-found", fmt::format("Procfile '{}' does not exist", shown),
                  {}, option_line);
        } else {
            error(option, "procfile/not-found", fmt::format("no Procfile in {}", describe_dir(dir)),
                  "create one with a line per process type (for example `web: bundle exec puma "
                  "-p $PORT`), or name one with -f/--procfile");
        }
        return false;
    }
    if (fs::is_directory(st)) {
        std::string hint = "the Procfile is a text file with a `name: command` line per process";
        if (fs::exists(path / kProcfileName, ec)) {
            hint = fmt::format("to use the Procfile inside it, pass -f {} or -d {}",
                               display(path / kProcfileName), shown);
        }
        error(option, "procfile/is-directory",
              fmt::format("'{}' is a directory, not a Procfile", shown), hint, option_line);
        return false;
    }
    if (!fs::is_regular_file(st)) {
        error(option, "procfile/not-a-file", fmt::format("'{}' is not a regular file", shown), {},
              option_line);
        return false;
    }
    std::string why;
    auto text = read_file(path, why);
    if (!text) {
        error(file_where, "procfile/unreadable", fmt::format("cannot read '{}': {}", shown, why),
              "check the file's permissions");
        return false;
    }
    project().procfile_text = std::move(*text);
    ProcfileOptions popts;
    popts.strict = s.strict && s.strict->value;
    Parsed<Procfile> parsed = parse_procfile(project().procfile_text, shown, popts);
    for (auto& d : parsed.diagnostics)
        out_.diagnostics.push_back(std::move(d));
    project().procfile = std::move(parsed.value);
    return true;
}

void Loader::read_env_files(const fs::path& root) {
    const Settings& s = project().settings;
    struct Wanted {
        fs::path path;
        Location where;  // where it was named; file 0 for the default
        bool named;
    };
    std::vector<Wanted> wanted;
    if (s.env_files) {
        for (const auto& f : s.env_files->value) {
            wanted.push_back(Wanted{fs::path(f), s.env_files->where, true});
        }
    } else {
        std::error_code ec;
        const fs::path dflt = root / ".env";
        if (fs::exists(dflt, ec))
            wanted.push_back(Wanted{dflt, Location{}, false});
    }

    Environment merged;
    for (const auto& w : wanted) {
        const std::string shown = display(w.path);
        const Location at = w.named ? option_where(w.where, "--env") : Location{shown, 0, 0};
        const std::string at_line = w.named ? source_line_of(w.where) : "";
        if (w.path.empty()) {
            error(at, "env/empty-name", "empty env file name", {}, at_line);
            continue;
        }
        std::error_code ec;
        const fs::file_status st = fs::status(w.path, ec);
        if (!fs::exists(st)) {
            error(at, "env/not-found", fmt::format("env file '{}' does not exist", shown), {},
                  at_line);
            continue;
        }
        if (!fs::is_regular_file(st)) {
            error(at, "env/not-a-file", fmt::format("env file '{}' is not a regular file", shown),
                  {}, at_line);
            continue;
        }
        std::string why;
        auto text = read_file(w.path, why);
        if (!text) {
            error(Location{shown, 0, 0}, "env/unreadable",
                  fmt::format("cannot read env file '{}': {}", shown, why));
            continue;
        }
        const Environment& os = os_env_;
        EnvLookup lookup = [&merged, &os](std::string_view key) -> std::optional<std::string> {
            if (const std::string* v = merged.find(key))
                return *v;
            if (const std::string* v = os.find(key))
                return *v;
            return std::nullopt;
        };
        Parsed<std::vector<DotenvEntry>> parsed = parse_dotenv(*text, shown, lookup);
        for (auto& d : parsed.diagnostics)
            out_.diagnostics.push_back(std::move(d));
        for (const auto& e : parsed.value) {
            merged.set(e.key, e.value);
            if (e.key == "PORT") {
                port_line_ = std::string(line_at(*text, e.line));
                // Point at the value when the assignment is on one line.
                int column = 0;
                if (const auto key = port_line_.find("PORT"); key != std::string::npos) {
                    const auto eq = port_line_.find_first_of("=:", key + 4);
                    if (eq != std::string::npos) {
                        auto value = port_line_.find_first_not_of(" \t", eq + 1);
                        if (value == std::string::npos)
                            value = eq + 1;
                        column = static_cast<int>(value) + 1;
                    }
                }
                port_where_ = Location{shown, e.line, column};
            }
        }
        project().env_files.push_back(EnvFile{shown, std::move(parsed.value)});
    }
    project().plan.file_env = std::move(merged);
}

std::optional<Formation> Loader::formation() {
    const Settings& s = project().settings;
    if (!s.formation)
        return Formation{};
    const auto& f = *s.formation;
    Parsed<Formation> parsed;
    if (from_config(f.where)) {
        if (!s.formation_sources.empty()) {
            parsed = parse_formation(f.value, f.where.file);
            parsed.value.sources = s.formation_sources;
        } else {
            Location origin = f.where;
            const std::string line = source_line_of(origin);
            const auto col = static_cast<std::size_t>(origin.column - 1);
            if (col < line.size() && (line[col] == '"' || line[col] == '\''))
                ++origin.column;
            parsed = parse_formation(f.value, origin, line);
        }
    } else {
        parsed = parse_formation(f.value, "--formation");
    }
    const bool ok = parsed.ok();
    for (auto& d : parsed.diagnostics)
        out_.diagnostics.push_back(std::move(d));
    if (!ok)
        return std::nullopt;
    return std::move(parsed.value);
}

int Loader::base_port() {
    const Settings& s = project().settings;
    if (s.port)
        return s.port->value;
    auto parse = [](const std::string& v) -> std::optional<int> {
        if (v.empty() || v.size() > 5)
            return std::nullopt;
        int n = 0;
        for (char c : v) {
            if (c < '0' || c > '9')
                return std::nullopt;
            n = n * 10 + (c - '0');
        }
        if (n < 1 || n > 65535)
            return std::nullopt;
        return n;
    };
    const Environment& files = project().plan.file_env;
    if (const std::string* v = files.find("PORT")) {
        if (auto p = parse(*v))
            return *p;
        error(port_where_.value_or(Location{"env files", 0, 0}), "env/invalid-port",
              fmt::format("PORT is not a port number (1-65535): '{}'", *v),
              "PORT is the base port; set it to a number, or give the base port with --port",
              port_line_);
        return kDefaultBasePort;
    }
    if (const std::string* v = os_env_.find("PORT")) {
        if (auto p = parse(*v))
            return *p;
        error(Location{"environment", 0, 0}, "env/invalid-port",
              fmt::format("PORT in the environment is not a port number (1-65535): '{}'", *v),
              "unset PORT, set it to a number, or give the base port with --port");
        return kDefaultBasePort;
    }
    return kDefaultBasePort;
}

// `processes:` from the config file, then the command line's shorthands on
// top: --restart (one type, or every type when no NAME is given), --can-die,
// --exit-with, --pty.
void Loader::lifecycles(PlanInput& input) {
    const Settings& s = project().settings;
    for (const auto& [type, lifecycle] : s.processes) {
        input.lifecycles[type] = lifecycle.value;
        input.lifecycle_where[type] = lifecycle.where;
    }
    const Procfile& procfile = project().procfile;
    const std::vector<std::string> names = procfile.names();
    // A shorthand's NAME must be a process type; returns the type's settings.
    auto named = [&](const std::string& name, std::string_view option,
                     const Location& where) -> Lifecycle* {
        if (procfile.find(name) == nullptr) {
            std::string hint = nearest_name(name, names);
            hint = !hint.empty() ? fmt::format("did you mean '{}'?", hint)
                   : names.empty()
                       ? std::string("the Procfile defines no process types")
                       : fmt::format("process types in the Procfile: {}", fmt::join(names, ", "));
            error(where, "plan/unknown-process",
                  fmt::format("unknown process type '{}' in {}", name, option), hint);
            return nullptr;
        }
        if (input.lifecycle_where.count(name) == 0)
            input.lifecycle_where[name] = where;
        return &input.lifecycles[name];
    };
    if (s.restart) {
        for (const auto& r : s.restart->value) {
            if (r.type.empty()) {
                for (const auto& name : names)
                    named(name, "--restart", s.restart->where)->restart = r.policy;
            } else if (Lifecycle* l = named(r.type, "--restart", s.restart->where)) {
                l->restart = r.policy;
            }
        }
    }
    if (s.can_die) {
        for (const auto& name : s.can_die->value) {
            if (Lifecycle* l = named(name, "--can-die", s.can_die->where))
                l->can_die = true;
        }
    }
    if (s.exit_with) {
        for (const auto& name : s.exit_with->value) {
            if (Lifecycle* l = named(name, "--exit-with", s.exit_with->where))
                l->exit_with = true;
        }
    }
    if (s.pty && s.pty->value) {
        for (const auto& name : names)
            named(name, "--pty", s.pty->where)->pty = true;
    }
}

// The names a Procfile appears to define: the leading run of name characters
// of every line that is not blank or a comment.
std::vector<std::string> loose_names(std::string_view text) {
    std::vector<std::string> names;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        std::size_t b = line.find_first_not_of(" \t\xEF\xBB\xBF");
        if (b == std::string_view::npos || line[b] == '#')
            continue;
        std::size_t e = b;
        while (e < line.size() && (std::isalnum(static_cast<unsigned char>(line[e])) != 0 ||
                                   line[e] == '_' || line[e] == '-')) {
            ++e;
        }
        if (e > b)
            names.emplace_back(line.substr(b, e - b));
    }
    return names;
}

void Loader::check_names_loosely(const std::optional<Formation>& formation) {
    const std::vector<std::string> names = loose_names(project().procfile_text);
    std::vector<std::string> defined = project().procfile.names();
    if (formation) {
        for (auto& d : check_formation_names(*formation, names)) {
            d.hint = defined.empty() ? std::string("the Procfile defines no valid process type")
                                     : fmt::format("process types in the Procfile: {}",
                                                   fmt::join(defined, ", "));
            out_.diagnostics.push_back(std::move(d));
        }
    }
    for (const auto& name : options_.selected) {
        if (std::find(names.begin(), names.end(), name) != names.end())
            continue;
        error(Location{std::string(kCommandLine), 0, 0}, "plan/unknown-process",
              fmt::format("unknown process type '{}'", name),
              defined.empty()
                  ? std::string("the Procfile defines no valid process type")
                  : fmt::format("process types in the Procfile: {}", fmt::join(defined, ", ")));
    }
}

void Loader::run() {
    if (cwd_.empty()) {
        error(Location{}, "project/no-cwd", "cannot determine the current directory");
        return;
    }
    const Settings& cli = options_.cli;

    // The root the config file is looked for in: --root, else the Procfile's
    // directory, else the current directory.
    fs::path root = ".";
    if (cli.root) {
        root = cli.root->value;
        if (!check_root(root, cli.root->where))
            return;
    } else if (cli.procfile) {
        const fs::path p(cli.procfile->value);
        if (p.has_parent_path())
            root = p.parent_path();
        std::error_code ec;
        if (!fs::is_directory(root, ec)) {
            error(option_where(cli.procfile->where, "--procfile"), "procfile/not-found",
                  fmt::format("Procfile '{}' does not exist: no directory '{}'", display(p),
                              display(root)));
            return;
        }
    }

    read_config(root);
    project().settings.overlay(cli);
    const Settings& s = project().settings;

    // A root or Procfile from the config file moves the root.
    if (s.root && from_config(s.root->where)) {
        root = s.root->value;
        if (!check_root(root, s.root->where))
            return;
    } else if (!cli.root && s.procfile && from_config(s.procfile->where)) {
        root = fs::path(s.procfile->value).parent_path();
    }
    fs::path abs_root = (cwd_ / root).lexically_normal();
    if (!abs_root.has_filename() && abs_root != abs_root.root_path()) {
        abs_root = abs_root.parent_path();  // "/x/y/" -> "/x/y"
    }
    project().root = abs_root;

    const std::size_t before = out_.diagnostics.size();
    const bool procfile_found = read_procfile(root);
    const bool procfile_ok =
        procfile_found && !has_errors(std::vector<Diagnostic>(
                              out_.diagnostics.begin() + static_cast<std::ptrdiff_t>(before),
                              out_.diagnostics.end()));
    read_env_files(root);

    // Quiet names must be process types.
    if (s.quiet && procfile_found && !project().procfile.entries.empty()) {
        for (const auto& name : s.quiet->value) {
            if (project().procfile.find(name) == nullptr) {
                error(option_where(s.quiet->where, "--quiet"), "config/unknown-process",
                      fmt::format("unknown process type '{}' in quiet", name),
                      fmt::format("process types in the Procfile: {}",
                                  fmt::join(project().procfile.names(), ", ")),
                      source_line_of(s.quiet->where));
            }
        }
    }

    const std::optional<Formation> formation = this->formation();
    const int port = base_port();
    if (procfile_found && !procfile_ok) {
        // No plan from a broken Procfile, but the names the formation and the
        // command line give are still checked, against every name the file
        // appears to define (bad lines included).
        check_names_loosely(formation);
        return;
    }
    if (!procfile_ok || !formation)
        return;

    PlanInput input;
    input.root = project().root;
    input.procfile = project().procfile;
    input.file_env = project().plan.file_env;
    input.os_env = os_env_;
    input.formation = *formation;
    input.base_port = port;
    input.selected = options_.selected;
    if (s.timeout)
        input.timeout = s.timeout->value;
    const std::size_t before_lifecycles = out_.diagnostics.size();
    lifecycles(input);
    if (out_.diagnostics.size() != before_lifecycles)
        return;  // a shorthand names no process type
    Parsed<Plan> plan = make_plan(input);
    for (auto& d : plan.diagnostics) {
        // A base port given by the user is located where it was given.
        if (d.code == "plan/invalid-port" && s.port)
            d.where = option_where(s.port->where, "--port");
        // Lifecycle findings point into the config file: show the line.
        if (d.source_line.empty() && project().config_path &&
            d.where.file == *project().config_path)
            d.source_line = source_line_of(d.where);
        out_.diagnostics.push_back(std::move(d));
    }
    project().plan = std::move(plan.value);
}

}  // namespace

std::vector<std::string> procfile_near_misses(const fs::path& dir) {
    std::vector<std::pair<int, std::string>> found;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec)
        return {};
    for (const auto& entry : it) {
        std::error_code ec2;
        if (!entry.is_regular_file(ec2))
            continue;
        const std::string name = entry.path().filename().string();
        if (name == kProcfileName)
            continue;
        std::string l = lower(name);
        while (!l.empty() && (l.back() == ' ' || l.back() == '~'))
            l.pop_back();
        int rank = -1;
        if (l == "procfile") {
            rank = 0;
        } else if (l.rfind("procfile.", 0) == 0) {
            rank = name.rfind("Procfile.", 0) == 0 ? 1 : 2;
        } else if (l == "procfile-dev" || l == "procfile_dev" || l == ".procfile") {
            rank = 3;
        }
        if (rank >= 0)
            found.emplace_back(rank, name);
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    out.reserve(found.size());
    for (auto& f : found)
        out.push_back(std::move(f.second));
    return out;
}

Parsed<Project> load_project(const LoadOptions& options, const Environment& os_env) {
    Parsed<Project> out;
    Loader loader(options, os_env, out);
    loader.run();
    return out;
}

}  // namespace procrun
