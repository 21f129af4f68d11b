#pragma once

#include <string>
#include <vector>

#include "procrun/export.hpp"

// The file of `files` written at `path`, or nullptr.
inline const procrun::ExportedFile* find_exported(const std::vector<procrun::ExportedFile>& files,
                                                  const std::string& path) {
    for (const auto& f : files) {
        if (f.path == path)
            return &f;
    }
    return nullptr;
}
