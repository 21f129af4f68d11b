#pragma once

// `procrun start --interactive NAME` (or a type's `interactive: true`): what
// arrives on procrun's own stdin goes to one instance's stdin. On a terminal
// it stays in canonical mode, so lines arrive whole when Enter is pressed,
// Ctrl-C still signals procrun (and stops everything) and Ctrl-Z suspends it;
// Ctrl-D (read as end-of-file) ends the instance's input (Launcher::end_input)
// and procrun goes on reading its terminal. On a pipe or file, the end of it
// ends the instance's input and reading stops. While procrun is in the
// background of its terminal it does not read it (that would stop procrun with
// SIGTTIN): resume() after SIGCONT looks again.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <cstddef>
#include <functional>
#include <string>

#include "supervisor/launcher.hpp"

namespace procrun {

class FocusInput {
  public:
    using Announce = std::function<void(const std::string&)>;
    // Reads descriptor `fd` (procrun's stdin), which it never closes.
    FocusInput(boost::asio::io_context& io, Launcher& launcher, std::size_t id, std::string name,
               Announce announce, int fd = 0);
    ~FocusInput();
    FocusInput(const FocusInput&) = delete;
    FocusInput& operator=(const FocusInput&) = delete;

    // Starts reading: once the instance has started, so that nothing read
    // before it runs is lost.
    void start();
    // procrun was continued (SIGCONT): read again if it stopped reading for
    // being in the background.
    void resume();

  private:
    void arm();
    void read_now();
    void forward(std::string_view bytes);
    void ended();

    boost::asio::io_context& io_;
    boost::asio::posix::stream_descriptor in_;
    Launcher& launcher_;
    std::size_t id_;
    std::string name_;
    Announce announce_;
    int fd_;
    bool terminal_ = false;
    bool pollable_ = false;  // else a file or /dev/null: read until its end, never waiting
    bool armed_ = false;
    bool done_ = false;
    bool dropping_ = false;  // input was refused: said once until it is taken again
    std::array<char, 16 * 1024> buf_{};
};

}  // namespace procrun
