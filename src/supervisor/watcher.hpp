#pragma once

// Restart on change: the folders of every watched process type under one
// inotify descriptor, read in the loop (an Asio stream_descriptor waits for it
// to be readable: no polling, no wakeup while nothing changes). Folders
// created, or moved in, later are watched too; folders deleted or moved away
// are dropped. What changed is reported per process type, each batch read at
// once as one report; the policy debounces (docs/ARCHITECTURE.md).

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "procrun/plan.hpp"
#include "procrun/policy.hpp"
#include "procrun/posix/inotify.hpp"
#include "procrun/watch.hpp"
#include "supervisor/watch_filter.hpp"

namespace procrun {

// One watched process type and what it watches.
struct WatchTarget {
    std::string type;
    Watch watch;
};

// The types `start` watches: those with `watch:` (unless `flag` is false,
// `--no-watch`); with `--watch` (`flag` true) and no type watching, every
// selected type but those with `watch: false`, with the defaults.
std::vector<WatchTarget> watch_targets(const Plan& plan, std::optional<bool> flag);

// `folder` (procrun's --log-dir) as an exclusion when it is under `root`:
// procrun's own writes restart nothing.
std::optional<PathPattern> watch_exclusion(const std::filesystem::path& root,
                                           const std::optional<std::filesystem::path>& folder);

// A limit of inotify was reached while setting the watches up (the message
// names it and how to raise it), or inotify is not available.
class WatchSetupError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Watcher {
  public:
    // What changed for one type in one read: its paths, in order, once each,
    // and which of them were moved away or deleted.
    using Changed = std::function<void(event::FilesChanged changes)>;
    using Warn = std::function<void(const std::string& text)>;

    // `exclude`: more exclusions for every type (procrun's log folder).
    Watcher(boost::asio::io_context& io, const std::filesystem::path& root,
            std::vector<WatchTarget> targets, std::vector<PathPattern> gitignore,
            std::vector<PathPattern> exclude, Changed changed, Warn warn);

    // Watches every folder and starts reading. Throws WatchSetupError when a
    // limit is reached; a path that does not exist is a warning.
    void start();
    // Folders watched now.
    [[nodiscard]] std::size_t folders() const { return by_wd_.size(); }

  private:
    // Why a folder is watched: for target `target`, its whole tree
    // (`recursive`), or only the file `only` in it.
    struct Interest {
        std::size_t target;
        bool recursive;
        std::string only;
        bool operator==(const Interest&) const = default;
    };
    struct Folder {
        std::string path;  // absolute
        std::string rel;   // as reported: relative to the root, "" for the root
        std::vector<Interest> interests;
    };
    using Found = std::vector<std::string>;
    // The paths of one type that changed in one read, in order, once each.
    struct Changes {
        std::vector<event::PathChange> paths;
        std::unordered_map<std::string, std::size_t> position;  // path -> index in `paths`
        void add(const std::string& path, bool removal = false);
    };

    void watch_base(std::size_t target, const WatchPath& base, bool at_start);
    // Watches `abs` and every folder below it the target does not exclude;
    // files it wants are added to `found` when given (a folder that appeared).
    void add_tree(std::size_t target, const std::string& abs, const std::string& rel, bool at_start,
                  Found* found);
    bool add_folder(const std::string& abs, const std::string& rel, const Interest& interest,
                    bool at_start);
    void remove_tree(const std::string& abs);
    void wait();
    void on_readable();
    void handle(const posix::InotifyEvent& e, std::map<std::size_t, Changes>& out);
    void rescan();

    boost::asio::posix::stream_descriptor fd_;
    std::string root_;
    std::vector<WatchTarget> targets_;
    std::vector<PathPattern> gitignore_;
    std::vector<PathPattern> exclude_;
    std::vector<WatchFilter> filters_;
    Changed changed_;
    Warn warn_;
    std::unordered_map<int, Folder> by_wd_;
    std::unordered_map<std::string, int> by_path_;
    bool limit_warned_ = false;
};

}  // namespace procrun
