#ifndef FALAJ_C_SYSTEM_SHIM_H
#define FALAJ_C_SYSTEM_SHIM_H
/* Thin, typed wrappers over Linux calls that Swift cannot import cleanly:
 * epoll_event is a packed struct on x86_64, and a few calls are macros. */
#include <stdint.h>
#include <sys/types.h>
#include "CSystemShimSpawn.h"

/** An unpacked copy of `struct epoll_event`. */
typedef struct {
    uint32_t events;
    uint64_t data;
} falaj_epoll_event;

int falaj_epoll_create(void);
/** epoll_ctl with the event fields passed by value. */
int falaj_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/** epoll_wait that copies at most `max` events (max <= 1024) into an unpacked array. */
int falaj_epoll_wait(int epfd, falaj_epoll_event *out, int max, int timeout_ms);

int falaj_eventfd(void);
int falaj_eventfd_signal(int fd);
int falaj_eventfd_drain(int fd);

/** accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; writes the peer as "ip:port" (or "[ip6]:port") into `peer`. */
int falaj_accept(int listen_fd, char *peer, size_t peer_len);
/** Creates a non-blocking listening TCP socket with SO_REUSEADDR and SO_REUSEPORT bound to host:port.
 *  Returns the fd, or -1 with errno set. `bound_port` receives the actual port (for port 0). */
int falaj_listen(const char *host, int port, int backlog, int *bound_port);
/** sendfile(2) from `in_fd` at `*offset` to `out_fd`. */
ssize_t falaj_sendfile(int out_fd, int in_fd, int64_t *offset, size_t count);
/** Sets TCP_NODELAY on a socket. */
int falaj_set_nodelay(int fd);
/** Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into Unix seconds; -1 when malformed. */
int64_t falaj_parse_http_date(const char *text);
/** CPUs this process may run on (its affinity mask, so `taskset` and cgroup cpusets count); at least 1. */
int falaj_available_cpu_count(void);
/** The calling thread's errno. */
int falaj_errno(void);

extern const uint32_t FALAJ_EPOLLIN;
extern const uint32_t FALAJ_EPOLLOUT;
extern const uint32_t FALAJ_EPOLLERR;
extern const uint32_t FALAJ_EPOLLHUP;
extern const uint32_t FALAJ_EPOLLRDHUP;
extern const uint32_t FALAJ_EPOLLET;
extern const int FALAJ_EPOLL_CTL_ADD;
extern const int FALAJ_EPOLL_CTL_MOD;
extern const int FALAJ_EPOLL_CTL_DEL;

#endif
