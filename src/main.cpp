// main: parse the command line, run, exit with the status the pipeline chose.
#include <cstdio>
#include <string>
#include <vector>

#include "tcpflow/app/cli.h"
#include "tcpflow/app/exit_status.h"
#include "tcpflow/app/pipeline.h"
#include "tcpflow/output/diagnostics.h"

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv, argv + argc);
    tcpflow::CliResult cli = tcpflow::parse_command_line(args);
    for (const auto& a : args) cli.options.command_line += (cli.options.command_line.empty() ? "" : " ") + a;
    if (!cli.out.empty()) std::fputs(cli.out.c_str(), stdout);
    if (!cli.err.empty()) std::fputs(cli.err.c_str(), stderr);
    if (cli.action == tcpflow::CliResult::Action::exit) return cli.exit_code;
    for (const auto& w : cli.warnings) tcpflow::default_diagnostics().info(w);
    return tcpflow::to_int(tcpflow::run(cli.options));
}
