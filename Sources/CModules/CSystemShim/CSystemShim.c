#define _GNU_SOURCE
#include "CSystemShim.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <sched.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>
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

int falaj_accept(int listen_fd, char *peer, size_t peer_len) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    int fd = accept4(listen_fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0 || peer == NULL || peer_len == 0) return fd;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (addr.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&addr;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(peer, peer_len, "%s:%d", host, port);
    } else if (addr.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(peer, peer_len, "[%s]:%d", host, port);
    } else {
        snprintf(peer, peer_len, "unix");
    }
    return fd;
}

int falaj_listen(const char *host, int port, int backlog, int *bound_port) {
    struct addrinfo hints, *result = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &result);
    if (rc != 0) {
        errno = EADDRNOTAVAIL;
        return -1;
    }
    int fd = -1;
    int saved = 0;
    for (struct addrinfo *ai = result; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) { saved = errno; continue; }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0) break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(result);
    if (fd < 0) {
        errno = saved;
        return -1;
    }
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (bound_port != NULL && getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
        *bound_port = addr.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&addr)->sin6_port)
                                                 : ntohs(((struct sockaddr_in *)&addr)->sin_port);
    }
    return fd;
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

int64_t falaj_parse_http_date(const char *text) {
    struct tm parts;
    memset(&parts, 0, sizeof parts);
    const char *end = strptime(text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
    if (end == NULL || *end != '\0') return -1;
    return (int64_t)timegm(&parts);
}

int falaj_available_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}
