// output_dir.cpp: the output folder as a name prefix (see output_dir.h).
#include "tcpflow/output/output_dir.h"

namespace tcpflow {

OutputDir::OutputDir(std::string_view folder) {
    if (!folder.empty() && folder != ".") (path = folder) += '/';
}

std::string OutputDir::folder() const { return path.empty() ? std::string{"."} : path.substr(0, path.size() - 1); }

std::string OutputDir::file(std::string_view name) const {
    std::string p = path;
    p += name;
    return p;
}

}  // namespace tcpflow
