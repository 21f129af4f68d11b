#include "config/document.hpp"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <sstream>

namespace procrun::config {

namespace {

// Thrown out of the YAML parser when a mapping or list opens too deep.
struct TooDeep {
    YAML::Mark mark;
};

// Walks the documents of a YAML stream without building nodes, to find what
// YAML::LoadAll gets wrong in yaml-cpp 0.7: a stray token at the start of a
// document (`,`, `]`, `}`) is read as an empty document without being
// consumed, so LoadAll loops forever and Load returns null. It also stops the
// parser's recursion at kMaxNesting levels.
class DocumentProbe : public YAML::EventHandler {
  public:
    YAML::Mark start;
    bool content = false;

    void reset() {
        start = YAML::Mark::null_mark();
        content = false;
        depth_ = 0;
    }
    void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override { content = true; }
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {
        content = true;
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        open(mark);
    }
    void OnSequenceEnd() override { --depth_; }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        open(mark);
    }
    void OnMapEnd() override { --depth_; }

  private:
    void open(const YAML::Mark& mark) {
        content = true;
        if (++depth_ > kMaxNesting)
            throw TooDeep{mark};
    }

    int depth_ = 0;
};

void too_deep(Reader& r, const YAML::Mark& mark) {
    r.error(mark, "config/too-deep",
            fmt::format("invalid YAML: nesting deeper than {} levels", kMaxNesting),
            "a config file nests at most a few levels (processes > web > readiness > http); "
            "look for unclosed '[' or '{'");
}

// Checks the stream has at most one document with content, no stray token and
// no nesting beyond kMaxNesting. Returns false (with a diagnostic) when not.
bool probe_documents(Reader& r) {
    std::istringstream in{std::string(r.text())};
    YAML::Parser parser(in);
    DocumentProbe probe;
    int documents = 0;
    YAML::Mark previous = YAML::Mark::null_mark();
    while (true) {
        probe.reset();
        try {
            if (!parser.HandleNextDocument(probe))
                return true;
        } catch (const TooDeep& e) {
            too_deep(r, e.mark);
            return false;
        }
        if (documents > 0 && probe.start.pos == previous.pos) {
            const auto pos = static_cast<std::size_t>(probe.start.pos);
            const char c = pos < r.text().size() ? r.text()[pos] : '?';
            const bool printable = c > 0x20 && c < 0x7f;
            r.error(probe.start, "config/invalid-yaml",
                    printable ? fmt::format("invalid YAML: unexpected '{}'", c)
                              : std::string("invalid YAML: unexpected character"));
            return false;
        }
        if (probe.content && documents > 0) {
            r.error(probe.start, "config/multiple-documents",
                    "the config file holds more than one YAML document",
                    "remove the `---` separator: all settings go in one mapping");
            return false;
        }
        previous = probe.start;
        ++documents;
    }
}

}  // namespace

std::optional<YAML::Node> load_document(Reader& r) {
    try {
        if (!probe_documents(r))
            return std::nullopt;
        return YAML::Load(std::string(r.text()));
    } catch (const YAML::DeepRecursion& e) {
        too_deep(r, e.mark);
    } catch (const YAML::Exception& e) {
        r.error(e.mark, "config/invalid-yaml", fmt::format("invalid YAML: {}", e.msg));
    }
    return std::nullopt;
}

}  // namespace procrun::config
