# Homebrew formula for procrun. Its release values (url, sha256) are written
# for one source tarball by `cmake --build BUILD --target procrun-recipes`,
# which makes BUILD/packaging/homebrew/procrun.rb from this template (the URL
# from -DPROCRUN_SOURCE_URL=..., else the local tarball); put that file in a tap.
#
# procrun is Linux-only (pidfd, close_range, process groups as Linux has them),
# so this formula is for Homebrew on Linux. Boost (Asio, Process v2) and CLI11
# are header-only here: build dependencies only.
class Procrun < Formula
  desc "Procfile-driven process manager"@PROCRUN_HOMEPAGE_RB@
  url "@PROCRUN_SOURCE_URL@"
  sha256 "@PROCRUN_SOURCE_SHA256@"
  license "@PROCRUN_LICENSE@"

  depends_on "boost" => :build
  depends_on "cli11" => :build
  depends_on "cmake" => :build
  depends_on "scdoc" => :build
  depends_on "fmt"
  depends_on :linux
  depends_on "spdlog"
  depends_on "yaml-cpp"

  def install
    args = %W[
      -DPROCRUN_BUILD_TESTS=OFF
      -DPROCRUN_COMPRESS_MANPAGE=OFF
      -DPROCRUN_BASH_COMPLETION_DIR=#{bash_completion}
      -DPROCRUN_ZSH_COMPLETION_DIR=#{zsh_completion}
      -DPROCRUN_FISH_COMPLETION_DIR=#{fish_completion}
    ]
    system "cmake", "-S", ".", "-B", "build", *args, *std_cmake_args
    system "cmake", "--build", "build"
    system "cmake", "--install", "build"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/procrun --version")

    (testpath/"Procfile").write <<~EOS
      web: python3 -m http.server $PORT
      worker: echo "PORT=$PORT PS=$PS"
    EOS
    assert_match "web, worker", shell_output("#{bin}/procrun check")

    (testpath/"Broken").write "web : echo spaces before the colon\n"
    output = shell_output("#{bin}/procrun check -f #{testpath}/Broken 2>&1", 1)
    assert_match "Broken:1:", output

    assert_match "PORT=5100 PS=worker.1",
      shell_output("#{bin}/procrun run worker")
  end
end
