#define _GNU_SOURCE
#include "CSystemShim.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

const uint32_t FALAJ_EPOLLIN = EPOLLIN;
const uint32_t FALAJ_EPOLLOUT = EPOLLOUT;
const uint32_t FALAJ_EPOLLERR = EPOLLERR;
const uint32_t FALAJ_EPOLLHUP = EPOLLHUP;
const uint32_t FALAJ_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t FALAJ_EPOLLET = EPOLLET;
const int FALAJ_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int FALAJ_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
const int FALAJ_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

int falaj_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int falaj_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int falaj_epoll_wait(int epfd, falaj_epoll_event *out, int max, int timeout_ms) {
    struct epoll_event events[1024];
    if (max > 1024) max = 1024;
    int n;
    do {
        n = epoll_wait(epfd, events, max, timeout_ms);
    } while (n < 0 && errno == EINTR);
    for (int i = 0; i < n; i++) {
        out[i].events = events[i].events;
        out[i].data = events[i].data.u64;
    }
    return n;
}

int falaj_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int falaj_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t n;
    do { n = write(fd, &one, sizeof one); } while (n < 0 && errno == EINTR);
    return n == sizeof one || (n < 0 && errno == EAGAIN) ? 0 : -1;
}

int falaj_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t n;
    do { n = read(fd, &value, sizeof value); } while (n < 0 && errno == EINTR);
    return n < 0 && errno != EAGAIN ? -1 : 0;
}

int falaj_accept(int listen_fd) {
    return accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

ssize_t falaj_sendfile(int out_fd, int in_fd, int64_t *offset, size_t count) {
    off_t off = (off_t)*offset;
    ssize_t n = sendfile(out_fd, in_fd, &off, count);
    *offset = (int64_t)off;
    return n;
}

int falaj_set_nodelay(int fd) {
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int falaj_errno(void) { return errno; }
