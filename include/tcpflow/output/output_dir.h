// output_dir.h: the output folder (-o) as every writer names files in it, worked out once
// (adapter value).
//
// After -z the folder is the path inside the new root, which the run works out before the chroot
// (privileges.h: output_path_in_chroot); every writer that names files in the folder (flow files,
// -K pcaps) takes this one value instead of -o, so none can take the path before the chroot
// again inside it.
#pragma once

#include <string>
#include <string_view>

namespace tcpflow {

struct OutputDir {
    /// What every name in the folder starts with: "" for the current folder (-o . or -o ""),
    /// else the folder and a '/' ("out/", "/var/cap/out/"; -o / gives "//", as it always has).
    std::string path;

    OutputDir() = default;
    /// The folder as given (after -z: as seen inside the new root).
    explicit OutputDir(std::string_view folder);

    /// The folder itself, for opendir and open: "." for the current folder.
    [[nodiscard]] std::string folder() const;
    /// `name` inside the folder.
    [[nodiscard]] std::string file(std::string_view name) const;
    [[nodiscard]] bool current() const noexcept { return path.empty(); }
};

}  // namespace tcpflow
