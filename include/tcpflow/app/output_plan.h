// output_plan.h: what a run will write and how, decided from the Options alone (a pure step,
// tested without a capture). The pipeline carries the plan out: it makes the folder, opens the
// report, builds the sink (console, files, worker pool or nothing) and drops privileges.
//
// Everything the plan needs from the process (user, sudo variables, current folder, descriptor
// limit, the passwd database) comes in a PlanEnvironment, so tests can give any.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "tcpflow/app/options.h"
#include "tcpflow/app/privileges.h"
#include "tcpflow/base/result.h"
#include "tcpflow/flow/naming.h"

namespace tcpflow {

/// Where reassembled flows go.
enum class SinkKind {
    console,   ///< -c/-C: standard output
    discard,   ///< -FX or -K: flows are followed for the report, no flow files
    files,     ///< one file per direction, written by this thread (and its I/O thread)
    workers,   ///< -j N: worker threads, each with its own flow table and file sink
};

struct OutputPlan {
    NameTemplate name_template;
    SinkKind sink = SinkKind::files;
    /// -o as every writer sees it: after -z, the same folder seen from inside the new root.
    std::string folder = ".";
    /// -o as given: made (with its parents) before anything is opened, while still root.
    std::string folder_before_chroot = ".";
    bool make_folder = false;
    std::optional<UserIds> drop_to;     ///< -U: drop root to this user after the capture opens
    std::optional<UserIds> owner;       ///< owner of the folders and the report (-U's user or sudo's)
    int file_uid = -1, file_gid = -1;   ///< chown new flow files (sudo without -U); -1 = leave
    std::string report_path;            ///< empty: no report.xml (--shard: report-I-of-N.xml)
    std::string unused_path;            ///< -w FILE (--shard: FILE-I-of-N); empty: no -w
    std::string report_folder;          ///< the report's folder, made if needed; empty = current
    std::string flow_index_path;        ///< --flow-index: the file ("-" = standard output); empty: none
    bool write_behind = false;          ///< writes, mtimes and closes on an I/O thread
    unsigned workers = 1;               ///< > 1 only with SinkKind::workers
    bool worker_create_behind = false;  ///< workers' I/O threads may create files (names hold both endpoints)
    int worker_max_fds = 0;             ///< -f for each worker
    std::size_t decoder_memory = 0;     ///< the reading thread's budget (fragments; and flows without -j)
    std::size_t worker_memory = 0;      ///< each worker's budget; decoder + workers <= --max-memory
    std::vector<std::string> warnings;  ///< said once before the run starts
};

struct PlanEnvironment {
    uid_t euid = 0;
    std::optional<std::string> sudo_uid, sudo_gid;
    std::string cwd = "/";
    int default_max_fds = 1000;                                   ///< FileSink::default_max_open()
    int queued_closes_per_worker = 8;                             ///< FileSink::kQueuedCloses
    std::function<Result<UserIds>(const std::string&)> find_user; ///< resolve_user by default
    std::function<std::string(const std::string&)> canonical;     ///< absolute, links resolved; identity if unset
};

/// The environment of this process (geteuid, SUDO_UID/SUDO_GID, the current folder, the
/// descriptor limit, the passwd database).
[[nodiscard]] PlanEnvironment current_environment();

/// --shard I/N: `path` with "-I-of-N" before the extension of its last component
/// ("out/report.xml" -> "out/report-1-of-4.xml", "unused" -> "unused-1-of-4"), so every shard
/// writes its own file, also into a shared folder. "-" (standard output) and devices
/// (/dev/stdout, /dev/fd/3; not files in folders under /dev, such as /dev/shm) are returned as
/// they are.
[[nodiscard]] std::string shard_path(const std::string& path, unsigned index, unsigned count);

/// The plan for `opt`. Errors (unknown -U user, -o not inside -z) are runtime failures: exit
/// status 1.
[[nodiscard]] Result<OutputPlan> plan_output(const Options& opt, const PlanEnvironment& env);

}  // namespace tcpflow
