#define _GNU_SOURCE
#include "CSystemShimSpawn.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where the child failed; sent with errno through the close-on-exec pipe. */
enum { STAGE_SETUP = 1, STAGE_CGROUP, STAGE_LIMITS, STAGE_USER, STAGE_DIRECTORY, STAGE_EXEC };

struct child_failure {
    int stage;
    int error;
};

static void child_fail(int report_fd, int stage, int error) {
    struct child_failure failure = {stage, error};
    ssize_t ignored = write(report_fd, &failure, sizeof failure);
    (void)ignored;
    _exit(127);
}

/* Closes every descriptor from `low` upwards except `keep`; close_range when the kernel has it. */
static void close_descriptors_from(int low, int keep) {
#ifdef SYS_close_range
    int ok = 1;
    if (keep > low && syscall(SYS_close_range, (unsigned)low, (unsigned)(keep - 1), 0) != 0) ok = 0;
    if (ok && syscall(SYS_close_range, (unsigned)(keep + 1), ~0U, 0) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = low; fd < max; fd++) {
        if (fd != keep) close(fd);
    }
}

static int set_limit(int resource, int64_t value) {
    if (value < 0) return 0;
    struct rlimit current;
    rlim_t wanted = (rlim_t)value;
    /* Raising a hard limit needs CAP_SYS_RESOURCE; cap at the inherited hard limit instead of failing. */
    if (getrlimit(resource, &current) == 0 && current.rlim_max != RLIM_INFINITY && wanted > current.rlim_max) wanted = current.rlim_max;
    struct rlimit limit = {wanted, wanted};
    return setrlimit(resource, &limit);
}

/* Runs in the child: async-signal-safe calls only, no allocation. Never returns. */
static void child_run(const falaj_spawn_options *options, int report_fd, pid_t parent) {
    sigset_t none;
    sigemptyset(&none);
    struct sigaction defaults;
    memset(&defaults, 0, sizeof defaults);
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &defaults, NULL);
    }
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) child_fail(report_fd, STAGE_SETUP, errno);
    if (setpgid(0, 0) != 0) child_fail(report_fd, STAGE_SETUP, errno);

    if (options->cgroup_procs_fd >= 0) {
        if (write(options->cgroup_procs_fd, "0", 1) != 1) child_fail(report_fd, STAGE_CGROUP, errno);
    }

    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0) child_fail(report_fd, STAGE_SETUP, errno);
    if (dup2(null_fd, 0) < 0) child_fail(report_fd, STAGE_SETUP, errno);
    if (dup2(options->output_fd, 1) < 0 || dup2(options->output_fd, 2) < 0) child_fail(report_fd, STAGE_SETUP, errno);
    close_descriptors_from(3, report_fd);

    if (set_limit(RLIMIT_CORE, 0) != 0 || set_limit(RLIMIT_NOFILE, options->limit_open_files) != 0 ||
        set_limit(RLIMIT_AS, options->limit_address_space) != 0 || set_limit(RLIMIT_CPU, options->limit_cpu_seconds) != 0) {
        child_fail(report_fd, STAGE_LIMITS, errno);
    }

    if (options->gid >= 0) {
        gid_t gid = (gid_t)options->gid;
        if (setgroups(1, &gid) != 0 || setgid(gid) != 0) child_fail(report_fd, STAGE_USER, errno);
    }
    if (options->uid >= 0) {
        if (options->gid < 0 && setgroups(0, NULL) != 0) child_fail(report_fd, STAGE_USER, errno);
        if (setuid((uid_t)options->uid) != 0) child_fail(report_fd, STAGE_USER, errno);
    }

    if (options->directory != NULL && chdir(options->directory) != 0) child_fail(report_fd, STAGE_DIRECTORY, errno);

    /* If the agent dies (kill -9), the job's leader gets SIGKILL instead of running on unsupervised; its lease expires
       and the job runs again elsewhere. Set after the user switch, which clears it; the parent may already be gone. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(report_fd, STAGE_SETUP, errno);
    if (getppid() != parent) _exit(127);

    const char *program = options->program;
    if (strchr(program, '/') != NULL) {
        execve(program, options->argv, options->envp);
        child_fail(report_fd, STAGE_EXEC, errno);
    }
    const char *search = (options->search_path != NULL && options->search_path[0] != '\0') ? options->search_path : "/usr/bin:/bin";
    size_t program_length = strlen(program);
    int saw_access_error = 0;
    int last_error = ENOENT;
    char candidate[4096];
    const char *start = search;
    while (1) {
        const char *end = strchr(start, ':');
        size_t length = end ? (size_t)(end - start) : strlen(start);
        if (length == 0) {
            start = end ? end + 1 : start + length;
        } else if (length + 1 + program_length < sizeof candidate) {
            memcpy(candidate, start, length);
            candidate[length] = '/';
            memcpy(candidate + length + 1, program, program_length + 1);
            execve(candidate, options->argv, options->envp);
            last_error = errno;
            if (errno == EACCES) saw_access_error = 1;
            else if (errno != ENOENT && errno != ENOTDIR) break;
        }
        if (end == NULL) break;
        start = end + 1;
    }
    child_fail(report_fd, STAGE_EXEC, saw_access_error ? EACCES : last_error);
}

static void describe_failure(const falaj_spawn_options *options, struct child_failure failure, char *error, size_t length) {
    char reason[256];
    const char *text = strerror_r(failure.error, reason, sizeof reason);
    switch (failure.stage) {
    case STAGE_EXEC:
        snprintf(error, length, "cannot run '%s': %s", options->program, text);
        break;
    case STAGE_DIRECTORY:
        snprintf(error, length, "cannot change to directory '%s': %s", options->directory ? options->directory : "", text);
        break;
    case STAGE_USER:
        snprintf(error, length, "cannot switch to user %lld (group %lld): %s", (long long)options->uid, (long long)options->gid, text);
        break;
    case STAGE_CGROUP:
        snprintf(error, length, "cannot move the process into its cgroup: %s", text);
        break;
    case STAGE_LIMITS:
        snprintf(error, length, "cannot set resource limits: %s", text);
        break;
    default:
        snprintf(error, length, "cannot set up the process for '%s': %s", options->program, text);
    }
}

pid_t falaj_spawn(const falaj_spawn_options *options, char *error, size_t error_length) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        snprintf(error, error_length, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(report[0]);
        close(report[1]);
        snprintf(error, error_length, "cannot fork: %s", strerror(saved));
        return -1;
    }
    if (pid == 0) {
        close(report[0]);
        child_run(options, report[1], parent);
    }
    close(report[1]);
    struct child_failure failure;
    ssize_t received;
    do {
        received = read(report[0], &failure, sizeof failure);
    } while (received < 0 && errno == EINTR);
    close(report[0]);
    if (received == 0) return pid;
    if (received != (ssize_t)sizeof failure) {
        failure.stage = STAGE_SETUP;
        failure.error = received < 0 ? errno : EIO;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    describe_failure(options, failure, error, error_length);
    return -1;
}

int falaj_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int falaj_wait_exit(pid_t pid, falaj_exit_status *out) {
    int status = 0;
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    pid_t result;
    do {
        result = wait4(pid, &status, 0, &usage);
    } while (result < 0 && errno == EINTR);
    if (result < 0) return -1;
    if (WIFEXITED(status)) {
        out->exited = 1;
        out->code = WEXITSTATUS(status);
    } else {
        out->exited = 0;
        out->code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    out->cpu_seconds = (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
                       (double)usage.ru_stime.tv_usec / 1e6;
    out->max_rss_bytes = (int64_t)usage.ru_maxrss * 1024;
    return 0;
}

int falaj_kill_group(pid_t pgid, int signal) { return kill(-pgid, signal); }
