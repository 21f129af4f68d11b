#include "procrun/project.hpp"

#include <fmt/format.h>

#include <deque>
#include <map>

#include "load/project_files.hpp"

namespace procrun {

namespace fs = std::filesystem;
using namespace project_detail;

namespace {

constexpr std::string_view kProcfileName = "Procfile";
constexpr std::string_view kProcrunConfig = ".procrun.yaml";
constexpr std::string_view kForemanConfig = ".foreman";
constexpr std::string_view kCommandLine = "command line";

// Where PORT's value is on the line an env file sets it on (the line when the
// assignment spans lines).
Location port_location(const std::string& shown, std::string_view line_text, int line) {
    int column = 0;
    if (const auto key = line_text.find("PORT"); key != std::string_view::npos) {
        const auto eq = line_text.find_first_of("=:", key + 4);
        if (eq != std::string_view::npos) {
            auto value = line_text.find_first_not_of(" \t", eq + 1);
            if (value == std::string_view::npos)
                value = eq + 1;
            column = static_cast<int>(value) + 1;
        }
    }
    return Location{shown, line, column};
}

// Reads the user's files into a Project and makes its plan. Every value read
// flows forward: files -> parsers -> settings -> PlanInput -> make_plan.
class Loader {
  public:
    Loader(const LoadOptions& options, const Environment& os_env, Parsed<Project>& out)
        : options_(options), os_env_(os_env), out_(out), show_(current_dir()) {}

    void run();

  private:
    const LoadOptions& options_;
    const Environment& os_env_;
    Parsed<Project>& out_;
    PathDisplay show_;
    std::string config_text_;
    std::deque<std::pair<std::string, std::string>> env_texts_;  // shown path, text
    Environment file_env_;
    Location port_where_;                               // where the env files set PORT
    std::map<std::string, Environment> type_file_env_;  // per type: its own env files

    static fs::path current_dir() {
        std::error_code ec;
        return fs::current_path(ec);
    }
    Project& project() { return out_.value; }

    void error(Location where, std::string code, std::string message, std::string hint = {},
               std::string source_line = {}) {
        out_.diagnostics.push_back(make_error(std::move(where), std::move(code), std::move(message),
                                              std::move(source_line), std::move(hint)));
    }
    void report(const Location& where, const Problem& p, std::string source_line = {}) {
        error(where, p.code, p.message, p.hint, std::move(source_line));
    }
    void take(std::vector<Diagnostic>& ds) {
        for (auto& d : ds)
            out_.diagnostics.push_back(std::move(d));
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

    std::optional<fs::path> find_root();
    bool check_root(const fs::path& root, const Location& where);
    void read_config(const fs::path& root);
    void resolve_config_paths(Settings& s, const fs::path& dir);
    bool read_procfile(const fs::path& root);
    void procfile_missing(const fs::path& path, bool explicit_path, const Location& option,
                          const std::string& option_line);
    void read_env_files(const fs::path& root);
    void read_env_file(const fs::path& path, const Location& at, const std::string& at_line);
    std::optional<std::vector<DotenvEntry>> read_env_entries(const fs::path& path,
                                                             const Location& at,
                                                             const std::string& at_line,
                                                             const Environment& merged);
    void read_type_env_files(const std::string& type, const Lifecycle& lifecycle);
    void check_working_dir(const fs::path& root, const ConfigPath& dir);
    std::optional<Formation> formation();
    PlanInput plan_input(bool procfile_ok, const std::optional<Formation>& formation);
};

bool Loader::check_root(const fs::path& root, const Location& where) {
    const PathProbe probe = probe_path(root);
    if (probe.kind == PathKind::directory)
        return true;
    const Location at = option_where(where, "--root");
    if (probe.kind == PathKind::missing) {
        error(at, "project/root-not-found",
              fmt::format("root directory '{}' does not exist", show_(root)), {},
              source_line_of(where));
    } else if (const auto problem = link_problem(probe, "project", "root", show_(root))) {
        report(at, *problem, source_line_of(where));
    } else {
        error(at, "project/root-not-a-directory",
              fmt::format("root '{}' is not a directory", show_(root)),
              "--root takes the directory the processes run in; the Procfile goes to -f",
              source_line_of(where));
    }
    return false;
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
    for (auto& [type, lifecycle] : s.processes) {
        for (auto& f : lifecycle.value.env_files)
            resolve(f.path);
    }
}

void Loader::read_config(const fs::path& root) {
    const fs::path procrun_path = root / kProcrunConfig;
    const fs::path foreman_path = root / kForemanConfig;
    const PathProbe procrun = probe_path(procrun_path);
    const PathProbe foreman = probe_path(foreman_path);
    const bool have_procrun = procrun.kind != PathKind::missing;
    if (!have_procrun && foreman.kind == PathKind::missing)
        return;
    const fs::path path = have_procrun ? procrun_path : foreman_path;
    const PathProbe& probe = have_procrun ? procrun : foreman;
    const std::string shown = show_(path);
    if (have_procrun && foreman.kind != PathKind::missing) {
        out_.diagnostics.push_back(
            make_warning(Location{show_(foreman_path), 0, 0}, "config/foreman-ignored",
                         fmt::format("{} is ignored because {} exists", show_(foreman_path), shown),
                         {}, fmt::format("move its settings into {} and delete it", shown)));
    }
    if (probe.kind == PathKind::directory) {
        error(Location{shown, 0, 0}, "config/not-a-file",
              fmt::format("config file '{}' is a directory", shown));
        return;
    }
    if (const auto problem = link_problem(probe, "config", "config file", shown)) {
        report(Location{shown, 0, 0}, *problem);
        return;
    }
    FileText read = read_text_file(path, kMaxProjectFileSize, "config", "config file", shown);
    if (!read.text) {
        report(Location{shown, 0, 0}, read.problem);
        return;
    }
    config_text_ = std::move(*read.text);
    project().config_path = shown;
    Parsed<Settings> parsed = parse_config(
        config_text_, shown, have_procrun ? ConfigDialect::procrun : ConfigDialect::foreman);
    take(parsed.diagnostics);
    resolve_config_paths(parsed.value, path.parent_path());
    project().settings = std::move(parsed.value);
}

void Loader::procfile_missing(const fs::path& path, bool explicit_path, const Location& option,
                              const std::string& option_line) {
    const std::string shown = show_(path);
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    const std::vector<std::string> found = procfile_near_misses(dir);
    if (!found.empty() && (!explicit_path || path.filename() == kProcfileName)) {
        std::string names;
        for (const auto& f : found)
            names += (names.empty() ? "'" : ", '") + f + "'";
        error(option, "procfile/near-miss",
              fmt::format("no Procfile in {}, but found {}", show_.describe_dir(dir), names),
              fmt::format("the platform needs a file named exactly `Procfile` (capital P, "
                          "no extension); {}",
                          near_miss_hints(found).front()),
              option_line);
    } else if (explicit_path) {
        error(option, "procfile/not-found", fmt::format("Procfile '{}' does not exist", shown), {},
              option_line);
    } else {
        error(option, "procfile/not-found",
              fmt::format("no Procfile in {}", show_.describe_dir(dir)),
              "create one with a line per process type (for example `web: bundle exec puma "
              "-p $PORT`), or name one with -f/--procfile");
    }
}

// Returns whether a Procfile was read (with or without errors in it).
bool Loader::read_procfile(const fs::path& root) {
    const Settings& s = project().settings;
    const bool explicit_path = s.procfile.has_value();
    const fs::path path = explicit_path ? fs::path(s.procfile->value) : root / kProcfileName;
    const std::string shown = show_(path);
    project().procfile_path = shown;
    const Location file_where{shown, 0, 0};
    const Location option =
        explicit_path ? option_where(s.procfile->where, "--procfile") : file_where;
    const std::string option_line = explicit_path ? source_line_of(s.procfile->where) : "";

    const PathProbe probe = probe_path(path);
    switch (probe.kind) {
        case PathKind::missing:
            if (explicit_path || options_.require_procfile)
                procfile_missing(path, explicit_path, option, option_line);
            return false;
        case PathKind::directory: {
            std::string hint =
                "the Procfile is a text file with a `name: command` line per process";
            if (probe_path(path / kProcfileName).kind == PathKind::regular) {
                hint = fmt::format("to use the Procfile inside it, pass -f {} or -d {}",
                                   show_(path / kProcfileName), shown);
            }
            error(option, "procfile/is-directory",
                  fmt::format("'{}' is a directory, not a Procfile", shown), hint, option_line);
            return false;
        }
        case PathKind::other:
            error(option, "procfile/not-a-file", fmt::format("'{}' is not a regular file", shown),
                  {}, option_line);
            return false;
        case PathKind::regular:
            break;
        default:
            report(option, *link_problem(probe, "procfile", "", shown), option_line);
            return false;
    }
    FileText read = read_text_file(path, kMaxProjectFileSize, "procfile", "", shown);
    if (!read.text) {
        report(file_where, read.problem);
        return false;
    }
    project().procfile_text = std::move(*read.text);
    ProcfileOptions popts;
    popts.strict = s.strict && s.strict->value;
    Parsed<Procfile> parsed = parse_procfile(project().procfile_text, shown, popts);
    take(parsed.diagnostics);
    project().procfile = std::move(parsed.value);
    return true;
}

// Reads one env file: its entries, its `${VAR}` references looked up in
// `merged` and then the OS environment. Nullopt (an error reported) when it
// cannot be read.
std::optional<std::vector<DotenvEntry>> Loader::read_env_entries(const fs::path& path,
                                                                 const Location& at,
                                                                 const std::string& at_line,
                                                                 const Environment& merged) {
    const std::string shown = show_(path);
    const PathProbe probe = probe_path(path);
    if (probe.kind == PathKind::missing) {
        error(at, "env/not-found", fmt::format("env file '{}' does not exist", shown), {}, at_line);
        return std::nullopt;
    }
    if (const auto problem = link_problem(probe, "env", "env file", shown)) {
        report(at, *problem, at_line);
        return std::nullopt;
    }
    if (probe.kind != PathKind::regular) {
        error(at, "env/not-a-file",
              fmt::format("env file '{}' is {}", shown,
                          probe.kind == PathKind::directory ? "a directory" : "not a regular file"),
              {}, at_line);
        return std::nullopt;
    }
    FileText read = read_text_file(path, kMaxProjectFileSize, "env", "env file", shown);
    if (!read.text) {
        report(Location{shown, 0, 0}, read.problem);
        return std::nullopt;
    }
    const std::string& text = env_texts_.emplace_back(shown, std::move(*read.text)).second;
    const Environment& os = os_env_;
    EnvLookup lookup = [&merged, &os](std::string_view key) -> std::optional<std::string> {
        if (const std::string* v = merged.find(key))
            return *v;
        if (const std::string* v = os.find(key))
            return *v;
        return std::nullopt;
    };
    Parsed<std::vector<DotenvEntry>> parsed = parse_dotenv(text, shown, lookup);
    take(parsed.diagnostics);
    return std::move(parsed.value);
}

void Loader::read_env_file(const fs::path& path, const Location& at, const std::string& at_line) {
    auto entries = read_env_entries(path, at, at_line, file_env_);
    if (!entries)
        return;
    const auto& [shown, text] = env_texts_.back();
    for (const auto& e : *entries) {
        file_env_.set(e.key, e.value);
        if (e.key == "PORT")
            port_where_ = port_location(shown, line_at(text, e.line), e.line);
    }
    project().env_files.push_back(EnvFile{shown, std::move(*entries)});
}

// A process type's env files, layered over the app's: each one's references
// see the type's earlier files, then the app's, then the OS environment.
// PORT and PS stay procrun's, so a file setting them is warned about.
void Loader::read_type_env_files(const std::string& type, const Lifecycle& lifecycle) {
    if (lifecycle.env_files.empty())
        return;
    Environment merged = file_env_;
    Environment own;
    for (const auto& f : lifecycle.env_files) {
        auto entries = read_env_entries(fs::path(f.path), f.where, source_line_of(f.where), merged);
        if (!entries)
            continue;
        const auto& [shown, text] = env_texts_.back();
        for (const auto& e : *entries) {
            if (e.key == "PORT" || e.key == "PS") {
                out_.diagnostics.push_back(make_warning(
                    Location{shown, e.line, 1}, "env/type-reserved",
                    fmt::format("{} in the env file of process type '{}' is ignored: procrun "
                                "sets it for each instance",
                                e.key, type),
                    std::string(line_at(text, e.line)),
                    e.key == "PORT" ? "the base port comes from --port, `port:` or the app's env "
                                      "files"
                                    : ""));
                continue;
            }
            merged.set(e.key, e.value);
            own.set(e.key, e.value);
        }
        project().env_files.push_back(EnvFile{shown, std::move(*entries)});
    }
    type_file_env_[type] = std::move(own);
}

// working_dir must be a folder of the root: there, a directory, and not a
// link that leads out of the root.
void Loader::check_working_dir(const fs::path& root, const ConfigPath& dir) {
    const fs::path path = root / dir.path;
    if (auto problem = working_dir_problem(root, path, show_(path)))
        report(dir.where, *problem, source_line_of(dir.where));
}

// --env (each named file must be there), else ROOT/.env when something is
// there: a file, or a link that must then lead to one.
void Loader::read_env_files(const fs::path& root) {
    const Settings& s = project().settings;
    if (!s.env_files) {
        const fs::path dflt = root / ".env";
        if (probe_path(dflt).kind != PathKind::missing)
            read_env_file(dflt, Location{show_(dflt), 0, 0}, {});
        return;
    }
    const Location at = option_where(s.env_files->where, "--env");
    const std::string at_line = source_line_of(s.env_files->where);
    for (const auto& f : s.env_files->value) {
        if (f.empty())
            error(at, "env/empty-name", "empty env file name", {}, at_line);
        else
            read_env_file(fs::path(f), at, at_line);
    }
}

// The formation, parsed once: a mapping read by the config parser, or a spec
// (from the command line, or a string in the config file) parsed here where
// its place is known. nullopt when it has errors.
std::optional<Formation> Loader::formation() {
    const Settings& s = project().settings;
    if (s.formation_map)
        return s.formation_map->value;
    if (!s.formation)
        return Formation{};
    const auto& f = *s.formation;
    Parsed<Formation> parsed;
    if (from_config(f.where)) {
        Location origin = f.where;
        const std::string line = source_line_of(origin);
        const auto col = static_cast<std::size_t>(origin.column - 1);
        if (col < line.size() && (line[col] == '"' || line[col] == '\''))
            ++origin.column;
        parsed = parse_formation(f.value, origin, line);
    } else {
        parsed = parse_formation(f.value, "--formation");
    }
    const bool ok = parsed.ok();
    take(parsed.diagnostics);
    if (!ok)
        return std::nullopt;
    return std::move(parsed.value);
}

// The settings as make_plan takes them, each with where it was given.
PlanInput Loader::plan_input(bool procfile_ok, const std::optional<Formation>& formation) {
    const Settings& s = project().settings;
    PlanInput input;
    input.root = project().root;
    input.procfile = project().procfile;
    if (!procfile_ok)
        input.broken_procfile_names = loose_names(project().procfile_text);
    input.names_only = !procfile_ok || !formation;
    input.file_env = std::move(file_env_);
    input.file_port_where = port_where_;
    input.type_file_env = std::move(type_file_env_);
    input.os_env = os_env_;
    input.formation = formation.value_or(Formation{});
    if (s.port) {
        input.base_port = s.port->value;
        input.base_port_where = option_where(s.port->where, "--port");
    }
    input.selected = options_.selected;
    input.run_word = options_.run_word;
    if (s.timeout)
        input.timeout = s.timeout->value;
    for (const auto& [type, lifecycle] : s.processes) {
        input.lifecycles[type] = lifecycle.value;
        input.lifecycle_where[type] = lifecycle.where;
    }
    input.restart = s.restart;
    input.can_die = s.can_die;
    input.exit_with = s.exit_with;
    input.pty = s.pty && s.pty->value;
    if (s.quiet) {
        input.quiet = s.quiet;
        input.quiet->where = option_where(s.quiet->where, "--quiet");
    }
    if (project().config_path)
        input.texts.emplace(*project().config_path, config_text_);
    input.texts.emplace(project().procfile_path, project().procfile_text);
    for (const auto& [shown, text] : env_texts_)
        input.texts.emplace(shown, text);
    return input;
}

// The root the config file is looked for in: --root, else the Procfile's
// directory, else the current directory.
std::optional<fs::path> Loader::find_root() {
    const Settings& cli = options_.cli;
    if (cli.root) {
        if (!check_root(cli.root->value, cli.root->where))
            return std::nullopt;
        return fs::path(cli.root->value);
    }
    if (!cli.procfile)
        return fs::path(".");
    const fs::path p(cli.procfile->value);
    const fs::path root = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (probe_path(root).kind != PathKind::directory) {
        error(
            option_where(cli.procfile->where, "--procfile"), "procfile/not-found",
            fmt::format("Procfile '{}' does not exist: no directory '{}'", show_(p), show_(root)));
        return std::nullopt;
    }
    return root;
}

void Loader::run() {
    if (show_.cwd().empty()) {
        error(Location{}, "project/no-cwd", "cannot determine the current directory");
        return;
    }
    std::optional<fs::path> root = find_root();
    if (!root)
        return;
    read_config(*root);
    project().settings.overlay(options_.cli);
    const Settings& s = project().settings;

    // A root or Procfile from the config file moves the root.
    if (s.root && from_config(s.root->where)) {
        root = fs::path(s.root->value);
        if (!check_root(*root, s.root->where))
            return;
    } else if (!options_.cli.root && s.procfile && from_config(s.procfile->where)) {
        root = fs::path(s.procfile->value).parent_path();
    }
    fs::path abs_root = (show_.cwd() / *root).lexically_normal();
    if (!abs_root.has_filename() && abs_root != abs_root.root_path())
        abs_root = abs_root.parent_path();  // "/x/y/" -> "/x/y"
    project().root = abs_root;

    const std::size_t before = out_.diagnostics.size();
    const bool procfile_read = read_procfile(*root);
    const bool procfile_ok = !has_errors(std::vector<Diagnostic>(
        out_.diagnostics.begin() + static_cast<std::ptrdiff_t>(before), out_.diagnostics.end()));
    read_env_files(*root);
    for (const auto& [type, lifecycle] : s.processes) {
        read_type_env_files(type, lifecycle.value);
        if (lifecycle.value.working_dir)
            check_working_dir(abs_root, *lifecycle.value.working_dir);
    }
    const std::optional<Formation> formation = this->formation();
    if (!procfile_ok && !procfile_read)
        return;  // no Procfile to check anything against
    const PlanInput input = plan_input(procfile_ok, formation);
    Parsed<Plan> plan = make_plan(input);
    take(plan.diagnostics);
    project().plan = std::move(plan.value);
}

}  // namespace

Parsed<Project> load_project(const LoadOptions& options, const Environment& os_env) {
    Parsed<Project> out;
    Loader loader(options, os_env, out);
    loader.run();
    return out;
}

}  // namespace procrun
