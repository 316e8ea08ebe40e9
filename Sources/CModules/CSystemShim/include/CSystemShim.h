#ifndef FALAJ_C_SYSTEM_SHIM_H
#define FALAJ_C_SYSTEM_SHIM_H
/* Thin, typed wrappers over Linux calls that Swift cannot import cleanly:
 * epoll_event is a packed struct on x86_64, and a few calls are macros. */
#include <stdint.h>
#include <sys/types.h>

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

/** accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC. */
int falaj_accept(int listen_fd);
/** sendfile(2) from `in_fd` at `*offset` to `out_fd`. */
ssize_t falaj_sendfile(int out_fd, int in_fd, int64_t *offset, size_t count);
/** Sets TCP_NODELAY on a socket. */
int falaj_set_nodelay(int fd);
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
