#ifndef FALAJ_C_SYSTEM_SHIM_SPAWN_H
#define FALAJ_C_SYSTEM_SHIM_SPAWN_H
/* fork/exec for the Subprocess module, entirely in C: nothing but async-signal-safe calls run in the child
 * between fork and exec. Failures in the child are reported to the parent through a close-on-exec pipe. */
#include <stdint.h>
#include <sys/types.h>

/** What the child is set up with before exec. Pointers must stay valid for the duration of `falaj_spawn`. */
typedef struct {
    /** The program: an absolute or relative path when it contains '/', otherwise looked up in `search_path`. */
    const char *program;
    /** NULL-terminated argument vector (argv[0] included). */
    char *const *argv;
    /** NULL-terminated "NAME=value" environment; exactly these variables reach the program. */
    char *const *envp;
    /** Colon-separated directories searched for `program` (the child's PATH); NULL or "" for /usr/bin:/bin. */
    const char *search_path;
    /** Working directory; NULL keeps the parent's. */
    const char *directory;
    /** Becomes the child's stdout and stderr (the write end of the output pipe). */
    int output_fd;
    /** An open `cgroup.procs` file the child writes "0" into before exec; -1 for none. */
    int cgroup_procs_fd;
    /** User and group to switch to (supplementary groups are cleared); -1 keeps the parent's. */
    int64_t uid;
    int64_t gid;
    /** RLIMIT_NOFILE, RLIMIT_AS (bytes) and RLIMIT_CPU (seconds); -1 leaves each as inherited. RLIMIT_CORE is 0. */
    int64_t limit_open_files;
    int64_t limit_address_space;
    int64_t limit_cpu_seconds;
} falaj_spawn_options;

/** Forks and execs as `options` says, in a new process group whose id is the child's pid.
 *  Returns the pid, or -1 with a one-line explanation in `error` ("cannot run 'x': No such file or directory");
 *  a child that failed before exec has been reaped. */
pid_t falaj_spawn(const falaj_spawn_options *options, char *error, size_t error_length);

/** pipe2 with O_CLOEXEC on both ends; fds[0] reads, fds[1] writes. */
int falaj_pipe_cloexec(int fds[2]);

/** The outcome of `falaj_wait_exit`. */
typedef struct {
    /** 1 when the process exited (then `code` is its exit status), 0 when a signal ended it (`code` is the signal). */
    int exited;
    int code;
    /** User plus system CPU seconds of the process and its reaped descendants. */
    double cpu_seconds;
    /** Peak resident set size in bytes. */
    int64_t max_rss_bytes;
} falaj_exit_status;

/** Blocks in wait4 (retrying EINTR) until `pid` ends; 0, or -1 with errno set. */
int falaj_wait_exit(pid_t pid, falaj_exit_status *status);

/** kill(-pgid, signal): 0, or -1 with errno set (ESRCH once no process of the group is left). */
int falaj_kill_group(pid_t pgid, int signal);

#endif
