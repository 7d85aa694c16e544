// gen_completion: writes the bash and zsh completion scripts made from the option table
// (completion.h) to the two paths it is given; run by the build.
#include <cstdio>
#include <fstream>
#include <string>

#include "tcpflow/app/completion.h"

namespace {

bool write(const char* path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (out) return true;
    std::fprintf(stderr, "gen_completion: cannot write %s\n", path);
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: gen_completion BASH_FILE ZSH_FILE\n");
        return 2;
    }
    return write(argv[1], tcpflow::bash_completion_script()) && write(argv[2], tcpflow::zsh_completion_script()) ? 0 : 1;
}
