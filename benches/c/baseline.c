/* The C floor for benches/compare: the same workloads as the Rust implementations, written
 * straight on the socket syscalls with nothing in between. The bench compiles this file with
 * the system `cc` into a temp dir and runs it once per batch:
 *
 *     baseline <workload> <ops> [variant]
 *
 * A variant (benches/compare's `--c-variant`, BENCHMARKS.md "Where the rows short of C
 * stand") is a comma-separated list of changes that make the C do more of what chapel-socket
 * does, to see which of them a row's gap to C is made of; without one the program is the
 * floor. See `struct variant` for what each does and on which workloads.
 *
 * It prints one sample per line on stdout: nanoseconds per operation, timed with
 * CLOCK_MONOTONIC, over the same chunks and after the same warm-up as the Rust side (see
 * benches/compare/clock.rs). The scale workloads (benches/compare/scale.rs) take more
 * arguments and print otherwise:
 *
 *     baseline scale_conns <connections> <round trips each>
 *     baseline scale_accept <accepting threads> <sets> <connections a set> <client threads>
 *
 * print their rate samples on the first line and, for scale_conns, every timed round trip's
 * ns on the second. Every wait is bounded (TIMEOUT_MS) except where the Rust
 * implementations block too; any failure prints why and exits 1. Loopback only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 2000
#define WINDOW 64
#define WRITE_SIZE 65536
#define BULK_CHUNK 16
#define UDP_SIZE 32
#define BURST 64
#define BATCH 32
#define GO_EVERY (4 * BATCH)
#define SHARED_RECEIVERS 2

/* The variant: each field is off in the floor. */
static struct variant {
    /* `kernel`: chapel-socket's syscall arguments where they differ from the floor's.
     * udp_batch_recv32, udp_oneway_gso32: 112-byte sender-name room and 192 bytes of control
     * room per slot, MSG_TRUNC | MSG_CMSG_CLOEXEC (and, in the batch receive, MSG_DONTWAIT, as
     * the crate's first try); udp_rr_*: receives with MSG_TRUNC into 112-byte names, sends with
     * MSG_DONTWAIT; connect: ppoll with a timespec instead of poll, accept4 asking for the
     * peer's address (112 bytes). */
    int kernel;
    /* `timer` (udp_rr_*): each timed receive reads CLOCK_MONOTONIC once and takes and releases
     * a share of a per-socket counter (two atomic read-modify-writes), as the crate's timed
     * receive does; connect: two clock reads per connect (its deadline and the wait's start). */
    int timer;
    /* `clocks=N` (udp_rr_*): N more CLOCK_MONOTONIC reads per receive (the crate's receive on
     * an adopted socket reads the clock more often than its own sockets' one). */
    long clocks;
    /* `alloc` (connect): a malloc(80) and free per socket (the client's and the accepted
     * one), as the crate's per-socket `Arc<RecvTimer>` record. */
    int alloc;
    /* `adopted` (udp_rr_*): no SO_RCVTIMEO; each receive is recvfrom(MSG_DONTWAIT), on EAGAIN
     * ppoll, recvfrom(MSG_DONTWAIT) again: the crate's receive on an adopted socket. */
    int adopted;
    /* `work=N`: N rounds of an opaque loop (work()) per op or, in the batch rows, per datagram
     * received: user-space instructions of no other effect, to weigh a count of them. */
    long work;
    /* `file` (unix_*): a socket file in /tmp instead of an abstract name. */
    int file;
    /* `offset=N` (tcp_rr_*, unix_rr_1): the message buffers N bytes into a page-aligned
     * allocation, instead of where malloc and the stack put them. */
    long offset;
    /* `waitfirst` (udp_rr_*, with `adopted`): each receive waits in ppoll before its first
     * recvfrom(MSG_DONTWAIT), as the crate's receive on an adopted socket whose last receive
     * found nothing when it tried. */
    int waitfirst;
    /* `single` (udp_batch_recv32): each queued datagram received by its own blocking
     * recv(fd, buf, len, 0), no sender asked for, as std::net's row does; the sender unchanged. */
    int single;
} variant;

static void parse_variant(const char *text) {
    char *copy = strdup(text), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "kernel")) variant.kernel = 1;
        else if (!strcmp(t, "timer")) variant.timer = 1;
        else if (!strcmp(t, "alloc")) variant.alloc = 1;
        else if (!strcmp(t, "adopted")) variant.adopted = 1;
        else if (!strcmp(t, "file")) variant.file = 1;
        else if (!strcmp(t, "single")) variant.single = 1;
        else if (!strcmp(t, "waitfirst")) variant.waitfirst = 1;
        else if (!strncmp(t, "work=", 5)) variant.work = atol(t + 5);
        else if (!strncmp(t, "offset=", 7)) variant.offset = atol(t + 7);
        else if (!strncmp(t, "clocks=", 7)) variant.clocks = atol(t + 7);
        else {
            fprintf(stderr, "baseline: unknown variant %s\n", t);
            exit(2);
        }
    }
    free(copy);
}

/* `work=N`: N rounds of a loop the compiler cannot remove or fold (about 4 instructions a
 * round; scripts/callgrind_c.sh counts them). */
static void work(void) {
    for (long i = 0; i < variant.work; i++) __asm__ volatile("" : : "r"(i) : "memory");
}

static void die(const char *what) {
    fprintf(stderr, "baseline: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Samples of ns/op, one per `chunk` ops, after `n / 8` (whole chunks) untimed warm-up ops. */
struct clock {
    /* left: ops left in the current chunk (a tick counts down: a decrement and a branch, no
     * division, as the Rust harness's); warm: whole chunks still to leave out. */
    long chunk, left, warm, nsamples;
    double last;
    double *samples;
};

static void clock_init(struct clock *c, long n, long chunk) {
    c->chunk = chunk;
    c->left = chunk;
    c->warm = n / 8 / chunk;
    c->nsamples = 0;
    c->samples = malloc(sizeof(double) * (size_t)(n / chunk + 1));
    if (!c->samples) die("malloc");
    c->last = now_ns();
}

static __attribute__((noinline, cold)) void chunk_done(struct clock *c) {
    c->left = c->chunk;
    double t = now_ns();
    if (c->warm) c->warm--;
    else c->samples[c->nsamples++] = (t - c->last) / (double)c->chunk;
    c->last = t;
}

static inline __attribute__((always_inline)) void tick(struct clock *c) {
    if (--c->left == 0) chunk_done(c);
}

/* Starts the current chunk's time now: what ran since the last tick is left out of it. */
static void clock_restart(struct clock *c) {
    c->last = now_ns();
}

/* Prints the samples; CHAPEL_BASELINE_QUIET set in the environment prints nothing, for
 * scripts/callgrind_c.sh (a printf of a double per sample would count as the op's). */
static void clock_print(struct clock *c) {
    if (!getenv("CHAPEL_BASELINE_QUIET"))
        for (long i = 0; i < c->nsamples; i++) printf("%.1f\n", c->samples[i]);
    free(c->samples);
}

/* The Unix rows run the TCP rows' code on an abstract Unix name: set by main. */
static int unix_mode;

static struct sockaddr_in loopback(void) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static struct sockaddr_in local_addr(int fd) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    if (unix_mode) return a; /* tcp_connect ignores it */
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) die("getsockname");
    return a;
}

/* An abstract name, or with the `file` variant a socket file in /tmp. */
static socklen_t unix_name(struct sockaddr_un *a) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (variant.file) {
        int len = snprintf(a->sun_path, sizeof a->sun_path, "/tmp/chapel-bench-c-%d.sock", (int)getpid());
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
    }
    int len = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "chapel-bench-c-%d", (int)getpid());
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
}

/* The `file` variant's socket file, removed before bind and when the workload ends. */
static void unix_unlink(void) {
    struct sockaddr_un a;
    if (!variant.file) return;
    unix_name(&a);
    unlink(a.sun_path);
}

/* A message buffer: malloc's, or with `offset=N` N bytes into a page-aligned allocation. */
static char *msg_alloc(size_t len) {
    char *p;
    if (!variant.offset) p = calloc(1, len);
    else if ((p = aligned_alloc(4096, (len + (size_t)variant.offset + 4095) / 4096 * 4096))) {
        memset(p, 0, len + (size_t)variant.offset);
        p += variant.offset;
    }
    if (!p) die("malloc");
    return p;
}

static void msg_free(char *p) {
    free(p - variant.offset);
}

static int tcp_listener(void) {
    if (unix_mode) {
        struct sockaddr_un a;
        socklen_t len = unix_name(&a);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket");
        unix_unlink();
        if (bind(fd, (struct sockaddr *)&a, len) < 0) die("bind");
        if (listen(fd, 128) < 0) die("listen");
        return fd;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = loopback();
    if (fd < 0) die("socket");
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt");
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    if (listen(fd, 128) < 0) die("listen");
    return fd;
}

static int udp_socket(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = loopback();
    if (fd < 0) die("socket");
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    return fd;
}

static void nodelay(int fd) {
    int one = 1;
    if (unix_mode) return;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt(TCP_NODELAY)");
}

static void rcvtimeo(int fd) {
    struct timeval tv = {TIMEOUT_MS / 1000, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) die("setsockopt(SO_RCVTIMEO)");
}

/* Waits up to TIMEOUT_MS for `events`; a timeout is fatal. */
static short wait_for(int fd, short events) {
    struct pollfd p = {fd, events, 0};
    int n;
    do n = poll(&p, 1, TIMEOUT_MS);
    while (n < 0 && errno == EINTR);
    if (n < 0) die("poll");
    if (n == 0) {
        errno = ETIMEDOUT;
        die("poll");
    }
    return p.revents;
}

/* Blocking connect for set-up. */
static int tcp_connect(struct sockaddr_in *to) {
    if (unix_mode) {
        struct sockaddr_un a;
        socklen_t len = unix_name(&a);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket");
        if (connect(fd, (struct sockaddr *)&a, len) < 0) die("connect");
        return fd;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)to, sizeof *to) < 0) die("connect");
    return fd;
}

static void read_exact(int fd, char *buf, size_t len) {
    while (len > 0) {
        ssize_t r = recv(fd, buf, len, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("recv");
        buf += r;
        len -= (size_t)r;
    }
}

static void write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) die("send");
        buf += w;
        len -= (size_t)w;
    }
}

struct peer {
    int fd;
    long n;
    size_t msg;
    struct sockaddr_in to;
    int per_call;
};

static void *tcp_echo(void *arg) {
    struct peer *p = arg;
    int conn = accept4(p->fd, NULL, NULL, SOCK_CLOEXEC);
    char *buf = msg_alloc(p->msg);
    if (conn < 0) die("accept4");
    nodelay(conn);
    for (long i = 0; i < p->n; i++) {
        read_exact(conn, buf, p->msg);
        write_all(conn, buf, p->msg);
    }
    msg_free(buf);
    close(conn);
    return NULL;
}

static void tcp_rr(long n, size_t msg) {
    struct peer p = {tcp_listener(), n, msg, {0}, 0};
    struct sockaddr_in to = local_addr(p.fd);
    pthread_t server;
    struct clock c;
    char *req = msg_alloc(msg), *buf = msg_alloc(msg);
    pthread_create(&server, NULL, tcp_echo, &p);
    int fd = tcp_connect(&to);
    nodelay(fd);
    clock_init(&c, n, 1);
    for (long i = 0; i < n; i++) {
        write_all(fd, req, msg);
        read_exact(fd, buf, msg);
        tick(&c);
    }
    pthread_join(server, NULL);
    close(fd);
    close(p.fd);
    unix_unlink();
    msg_free(req);
    msg_free(buf);
    clock_print(&c);
}

static void *bulk_writer(void *arg) {
    struct peer *p = arg;
    int fd = tcp_connect(&p->to);
    char *chunk = calloc(1, WRITE_SIZE), ack;
    for (long i = 0; i < p->n; i++) write_all(fd, chunk, WRITE_SIZE);
    read_exact(fd, &ack, 1);
    free(chunk);
    close(fd);
    return NULL;
}

/* Timed on the reading side: one op is 64 KiB delivered. */
static void tcp_bulk(long n) {
    int lfd = tcp_listener();
    struct peer p = {-1, n, WRITE_SIZE, local_addr(lfd), 0};
    pthread_t writer;
    struct clock c;
    char *buf = malloc(WRITE_SIZE);
    pthread_create(&writer, NULL, bulk_writer, &p);
    int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) die("accept4");
    clock_init(&c, n, BULK_CHUNK);
    long long total = (long long)n * WRITE_SIZE, got = 0;
    while (got < total) {
        ssize_t r = recv(conn, buf, WRITE_SIZE, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("recv");
        for (long long before = got / WRITE_SIZE, after = (got + r) / WRITE_SIZE; before < after; before++) tick(&c);
        got += r;
    }
    write_all(conn, "k", 1);
    pthread_join(writer, NULL);
    close(conn);
    close(lfd);
    unix_unlink();
    free(buf);
    clock_print(&c);
}

/* A per-call timeout is a poll before each receive; a fixed one is SO_RCVTIMEO, set once. */
static ssize_t udp_recv(int fd, char *buf, size_t len, struct sockaddr_in *from, int per_call) {
    socklen_t flen = sizeof *from;
    ssize_t r;
    do {
        if (per_call) wait_for(fd, POLLIN);
        r = recvfrom(fd, buf, len, 0, (struct sockaddr *)from, from ? &flen : NULL);
    } while (r < 0 && errno == EINTR);
    if (r < 0) die("recvfrom");
    return r;
}

static void udp_send(int fd, const char *buf, size_t len, struct sockaddr_in *to) {
    if (sendto(fd, buf, len, MSG_NOSIGNAL, (struct sockaddr *)to, sizeof *to) != (ssize_t)len) die("sendto");
}

/* udp_rr's receive and send, as the variant has them (the floor: udp_recv, udp_send). `share`
 * is the socket's counter for the `timer` variant. */
static ssize_t rr_recv(int fd, char *buf, size_t len, struct sockaddr_in *from, int per_call, long *share) {
    if (variant.timer) {
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        __asm__ volatile("" : : "r"(&start) : "memory");
        __atomic_fetch_add(share, 1, __ATOMIC_ACQUIRE);
    }
    for (long i = 0; i < variant.clocks; i++) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        __asm__ volatile("" : : "r"(&t) : "memory");
    }
    work();
    ssize_t r;
    if (variant.kernel || variant.adopted) {
        /* Room for any address, as the crate's: 112 bytes. */
        char name[112];
        int flags = MSG_TRUNC | (variant.adopted ? MSG_DONTWAIT : 0);
        if (variant.adopted && variant.waitfirst) {
            struct pollfd p = {fd, POLLIN, 0};
            struct timespec t = {TIMEOUT_MS / 1000, 0};
            if (ppoll(&p, 1, &t, NULL) <= 0 && errno != EINTR) die("ppoll");
        }
        for (;;) {
            socklen_t nlen = sizeof name;
            r = recvfrom(fd, buf, len, flags, from ? (struct sockaddr *)name : NULL, from ? &nlen : NULL);
            if (r >= 0) break;
            if (errno == EINTR) continue;
            if (!variant.adopted || errno != EAGAIN) die("recvfrom");
            struct pollfd p = {fd, POLLIN, 0};
            struct timespec t = {TIMEOUT_MS / 1000, 0};
            if (ppoll(&p, 1, &t, NULL) <= 0 && errno != EINTR) die("ppoll");
        }
        if (from) memcpy(from, name, sizeof *from);
    } else {
        r = udp_recv(fd, buf, len, from, per_call);
    }
    if (variant.timer) __atomic_fetch_sub(share, 1, __ATOMIC_RELEASE);
    return r;
}

static void rr_send(int fd, const char *buf, size_t len, struct sockaddr_in *to) {
    int flags = MSG_NOSIGNAL | (variant.kernel || variant.adopted ? MSG_DONTWAIT : 0);
    if (sendto(fd, buf, len, flags, (struct sockaddr *)to, sizeof *to) != (ssize_t)len) die("sendto");
}

static void *udp_echo(void *arg) {
    struct peer *p = arg;
    char buf[UDP_SIZE];
    struct sockaddr_in from;
    long share = 0;
    if (!p->per_call && !variant.adopted) rcvtimeo(p->fd);
    for (long i = 0; i < p->n; i++) {
        ssize_t r = rr_recv(p->fd, buf, sizeof buf, &from, p->per_call, &share);
        rr_send(p->fd, buf, (size_t)r, &from);
    }
    return NULL;
}

static void udp_rr(long n, int per_call) {
    struct peer p = {udp_socket(), n, UDP_SIZE, {0}, per_call};
    struct sockaddr_in to = local_addr(p.fd);
    int fd = udp_socket();
    pthread_t server;
    struct clock c;
    char req[UDP_SIZE] = {0}, buf[UDP_SIZE];
    long share = 0;
    if (!per_call && !variant.adopted) rcvtimeo(fd);
    pthread_create(&server, NULL, udp_echo, &p);
    clock_init(&c, n, 1);
    for (long i = 0; i < n; i++) {
        rr_send(fd, req, sizeof req, &to);
        if (rr_recv(fd, buf, sizeof buf, NULL, per_call, &share) != UDP_SIZE) die("short reply");
        tick(&c);
    }
    pthread_join(server, NULL);
    close(fd);
    close(p.fd);
    clock_print(&c);
}

/* One of the SHARED_RECEIVERS threads on the shared server socket: a per-call timeout is a
 * poll before each receive, as in udp_rr, but the receive does not block (MSG_DONTWAIT): both
 * threads' polls wake for one request, and the one that loses the race polls again instead of
 * sleeping in recvfrom without a timeout. A retry waits the whole TIMEOUT_MS again (never
 * reached). Serves requests until a stop (a datagram of another size). */
static void *udp_echo_shared(void *arg) {
    int fd = *(int *)arg;
    char buf[UDP_SIZE];
    struct sockaddr_in from;
    for (;;) {
        socklen_t flen = sizeof from;
        wait_for(fd, POLLIN);
        ssize_t r = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (r < 0) die("recvfrom");
        if (r != UDP_SIZE) return NULL;
        udp_send(fd, buf, (size_t)r, &from);
    }
}

/* udp_rr with a per-call timeout, the server socket served by SHARED_RECEIVERS threads; a stop
 * for each after the last op. */
static void udp_rr_shared(long n) {
    int server = udp_socket(), fd = udp_socket();
    struct sockaddr_in to = local_addr(server);
    pthread_t servers[SHARED_RECEIVERS];
    struct clock c;
    char req[UDP_SIZE] = {0}, buf[UDP_SIZE];
    for (int k = 0; k < SHARED_RECEIVERS; k++) pthread_create(&servers[k], NULL, udp_echo_shared, &server);
    clock_init(&c, n, 1);
    for (long i = 0; i < n; i++) {
        udp_send(fd, req, sizeof req, &to);
        if (udp_recv(fd, buf, sizeof buf, NULL, 1) != UDP_SIZE) die("short reply");
        tick(&c);
    }
    for (int k = 0; k < SHARED_RECEIVERS; k++) udp_send(fd, "s", 1, &to);
    for (int k = 0; k < SHARED_RECEIVERS; k++) pthread_join(servers[k], NULL);
    close(fd);
    close(server);
    clock_print(&c);
}

/* Sends `n` datagrams, never more than two windows ahead of the receiver's acks. */
static void *udp_sender(void *arg) {
    struct peer *p = arg;
    char dgram[UDP_SIZE] = {0}, ack[8];
    long acked = 0;
    for (long i = 0; i < p->n; i++) {
        while (i - acked * WINDOW >= 2 * WINDOW) {
            udp_recv(p->fd, ack, sizeof ack, NULL, 1);
            acked++;
        }
        udp_send(p->fd, dgram, sizeof dgram, &p->to);
    }
    return NULL;
}

static void udp_oneway(long n) {
    int fd = udp_socket();
    struct peer p = {udp_socket(), n, UDP_SIZE, local_addr(fd), 1};
    struct sockaddr_in sender = local_addr(p.fd);
    pthread_t thread;
    struct clock c;
    char buf[UDP_SIZE];
    pthread_create(&thread, NULL, udp_sender, &p);
    clock_init(&c, n, WINDOW);
    for (long i = 0; i < n; i++) {
        ssize_t r;
        do r = recv(fd, buf, sizeof buf, 0);
        while (r < 0 && errno == EINTR);
        if (r != UDP_SIZE) die("recv");
        tick(&c);
        if ((i + 1) % WINDOW == 0) udp_send(fd, "a", 1, &sender);
    }
    pthread_join(thread, NULL);
    close(fd);
    close(p.fd);
    clock_print(&c);
}

/* The `kernel` variant's room per recvmmsg slot, as chapel-socket's RecvBatch: a sender name
 * of 112 bytes and 192 bytes of control data (RecvBatch::new's default). */
#define CRATE_NAME 112
#define CRATE_CONTROL 192
static char slot_names[BATCH][CRATE_NAME], slot_control[BATCH][CRATE_CONTROL];

/* Gives each slot the kernel variant's name and control room again (the kernel shrinks both
 * lengths to what it wrote). */
static void crate_slots(struct mmsghdr *msgs) {
    for (int k = 0; k < BATCH; k++) {
        msgs[k].msg_hdr.msg_name = slot_names[k];
        msgs[k].msg_hdr.msg_namelen = CRATE_NAME;
        msgs[k].msg_hdr.msg_control = slot_control[k];
        msgs[k].msg_hdr.msg_controllen = CRATE_CONTROL;
    }
}

/* The kernel variant's flags on a recvmmsg: MSG_TRUNC and MSG_CMSG_CLOEXEC, as the crate's. */
#define CRATE_MMSG_FLAGS (variant.kernel ? MSG_TRUNC | MSG_CMSG_CLOEXEC : 0)

/* udp_oneway's sender, BATCH datagrams per sendmmsg. */
static void *udp_batch_sender(void *arg) {
    struct peer *p = arg;
    char dgram[UDP_SIZE] = {0}, ack[8];
    struct mmsghdr msgs[BATCH];
    struct iovec iov = {dgram, sizeof dgram};
    long acked = 0, sent = 0;
    memset(msgs, 0, sizeof msgs);
    for (int k = 0; k < BATCH; k++) {
        msgs[k].msg_hdr.msg_name = &p->to;
        msgs[k].msg_hdr.msg_namelen = sizeof p->to;
        msgs[k].msg_hdr.msg_iov = &iov;
        msgs[k].msg_hdr.msg_iovlen = 1;
    }
    while (sent < p->n) {
        long want = p->n - sent < BATCH ? p->n - sent : BATCH;
        while (sent + want > (acked + 2) * WINDOW) {
            udp_recv(p->fd, ack, sizeof ack, NULL, 1);
            acked++;
        }
        int r = sendmmsg(p->fd, msgs, (unsigned)want, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("sendmmsg");
        sent += r;
    }
    return NULL;
}

/* udp_oneway's receiver, a blocking recvmmsg(MSG_WAITFORONE) of up to BATCH at a time: the
 * one-way pipeline in batches. */
static void udp_pipeline_batch(long n) {
    int fd = udp_socket();
    struct peer p = {udp_socket(), n, UDP_SIZE, local_addr(fd), 1};
    struct sockaddr_in sender = local_addr(p.fd);
    pthread_t thread;
    struct clock c;
    char bufs[BATCH][UDP_SIZE];
    struct iovec iovs[BATCH];
    struct mmsghdr msgs[BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int k = 0; k < BATCH; k++) {
        iovs[k].iov_base = bufs[k];
        iovs[k].iov_len = UDP_SIZE;
        msgs[k].msg_hdr.msg_iov = &iovs[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
    }
    pthread_create(&thread, NULL, udp_batch_sender, &p);
    clock_init(&c, n, WINDOW);
    long got = 0;
    while (got < n) {
        int r = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("recvmmsg");
        for (int k = 0; k < r; k++) {
            if (msgs[k].msg_len != UDP_SIZE) die("short datagram");
            tick(&c);
        }
        for (long w = got / WINDOW; w < (got + r) / WINDOW; w++) udp_send(fd, "a", 1, &sender);
        got += r;
    }
    pthread_join(thread, NULL);
    close(fd);
    close(p.fd);
    clock_print(&c);
}

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

/* udp_oneway's sender, BATCH datagrams per sendmsg, cut by the kernel (UDP_SEGMENT). */
static void *udp_gso_sender(void *arg) {
    struct peer *p = arg;
    static char data[UDP_SIZE * BATCH];
    char ack[8], control[CMSG_SPACE(sizeof(uint16_t))];
    struct iovec iov = {data, 0};
    struct msghdr msg = {&p->to, sizeof p->to, &iov, 1, control, sizeof control, 0};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    uint16_t segment = UDP_SIZE;
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof segment);
    memcpy(CMSG_DATA(c), &segment, sizeof segment);
    long acked = 0, sent = 0;
    while (sent < p->n) {
        long want = p->n - sent < BATCH ? p->n - sent : BATCH;
        while (sent + want > (acked + 2) * WINDOW) {
            udp_recv(p->fd, ack, sizeof ack, NULL, 1);
            acked++;
        }
        iov.iov_len = (size_t)want * UDP_SIZE;
        ssize_t r = sendmsg(p->fd, &msg, MSG_NOSIGNAL | (variant.kernel ? MSG_DONTWAIT : 0));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("sendmsg(UDP_SEGMENT)");
        sent += r / UDP_SIZE;
    }
    return NULL;
}

/* udp_oneway's receiver with UDP_GRO: a blocking recvmmsg(MSG_WAITFORONE) of up to BATCH
 * buffers, each holding one coalesced send. */
static void udp_oneway_gso(long n) {
    int fd = udp_socket(), one = 1;
    struct peer p = {udp_socket(), n, UDP_SIZE, local_addr(fd), 1};
    struct sockaddr_in sender = local_addr(p.fd);
    pthread_t thread;
    struct clock c;
    static char bufs[BATCH][UDP_SIZE * BATCH];
    struct iovec iovs[BATCH];
    struct mmsghdr msgs[BATCH];
    if (setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) < 0) die("setsockopt(UDP_GRO)");
    memset(msgs, 0, sizeof msgs);
    for (int k = 0; k < BATCH; k++) {
        iovs[k].iov_base = bufs[k];
        iovs[k].iov_len = sizeof bufs[k];
        msgs[k].msg_hdr.msg_iov = &iovs[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
    }
    pthread_create(&thread, NULL, udp_gso_sender, &p);
    clock_init(&c, n, WINDOW);
    long got = 0;
    while (got < n) {
        if (variant.kernel) crate_slots(msgs);
        int r = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE | CRATE_MMSG_FLAGS, NULL);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("recvmmsg");
        long k = 0;
        for (int i = 0; i < r; i++) {
            work();
            if (msgs[i].msg_len % UDP_SIZE != 0 || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) die("odd buffer");
            k += msgs[i].msg_len / UDP_SIZE;
        }
        for (long i = 0; i < k; i++) tick(&c);
        for (long w = got / WINDOW; w < (got + k) / WINDOW; w++) udp_send(fd, "a", 1, &sender);
        got += k;
    }
    pthread_join(thread, NULL);
    close(fd);
    close(p.fd);
    clock_print(&c);
}

struct burst {
    int fd;
    long n;
    struct sockaddr_in to, go;
};

/* Queues a burst, says so on the receiver's `go` socket, waits for its ack; again. */
static void *burst_sender(void *arg) {
    struct burst *b = arg;
    char dgram[UDP_SIZE] = {0}, ack[8];
    for (long i = 0; i < b->n / BURST; i++) {
        for (int k = 0; k < BURST; k++) udp_send(b->fd, dgram, sizeof dgram, &b->to);
        udp_send(b->fd, "g", 1, &b->go);
        udp_recv(b->fd, ack, sizeof ack, NULL, 1);
    }
    return NULL;
}

/* Only the receives are timed, each with the per-call timeout of udp_rr (poll, recvfrom). */
static void udp_burst(long n) {
    int fd = udp_socket(), go = udp_socket();
    struct burst b = {udp_socket(), n, local_addr(fd), local_addr(go)};
    struct sockaddr_in sender = local_addr(b.fd);
    pthread_t thread;
    struct clock c;
    char buf[UDP_SIZE];
    pthread_create(&thread, NULL, burst_sender, &b);
    clock_init(&c, n, BURST);
    for (long i = 0; i < n / BURST; i++) {
        udp_recv(go, buf, sizeof buf, NULL, 1);
        clock_restart(&c);
        for (int k = 0; k < BURST; k++) {
            if (udp_recv(fd, buf, sizeof buf, NULL, 1) != UDP_SIZE) die("short datagram");
            tick(&c);
        }
        udp_send(fd, "a", 1, &sender);
    }
    pthread_join(thread, NULL);
    close(fd);
    close(go);
    close(b.fd);
    clock_print(&c);
}

/* udp_burst's sender for the batch receive: queues GO_EVERY datagrams with sendmmsg of BATCH,
 * says so on the receiver's `go` socket, waits for its ack (SO_RCVTIMEO, set once); again. */
static void *batch_recv_sender(void *arg) {
    struct burst *b = arg;
    char dgram[UDP_SIZE] = {0}, ack[8];
    struct mmsghdr msgs[BATCH];
    struct iovec iov = {dgram, sizeof dgram};
    memset(msgs, 0, sizeof msgs);
    for (int k = 0; k < BATCH; k++) {
        msgs[k].msg_hdr.msg_name = &b->to;
        msgs[k].msg_hdr.msg_namelen = sizeof b->to;
        msgs[k].msg_hdr.msg_iov = &iov;
        msgs[k].msg_hdr.msg_iovlen = 1;
    }
    rcvtimeo(b->fd);
    for (long i = 0; i < b->n / GO_EVERY; i++) {
        for (long sent = 0; sent < GO_EVERY;) {
            unsigned want = GO_EVERY - sent < BATCH ? (unsigned)(GO_EVERY - sent) : BATCH;
            int r = sendmmsg(b->fd, msgs, want, MSG_NOSIGNAL);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) die("sendmmsg");
            sent += r;
        }
        udp_send(b->fd, "g", 1, &b->go);
        udp_recv(b->fd, ack, sizeof ack, NULL, 0);
    }
    return NULL;
}

/* The batch receive: only the receives of the queued datagrams are timed, each a blocking
 * recvmmsg(MSG_WAITFORONE) of up to BATCH (SO_RCVTIMEO, set once, bounds it; the datagrams are
 * there, so it never waits). Each datagram's sender is asked for, as every implementation's
 * batch receive reports it. */
static void udp_batch_recv(long n) {
    int fd = udp_socket(), go = udp_socket();
    struct burst b = {udp_socket(), n, local_addr(fd), local_addr(go)};
    struct sockaddr_in sender = local_addr(b.fd);
    pthread_t thread;
    struct clock c;
    char bufs[BATCH][UDP_SIZE], buf[UDP_SIZE];
    struct iovec iovs[BATCH];
    struct sockaddr_in names[BATCH];
    struct mmsghdr msgs[BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int k = 0; k < BATCH; k++) {
        iovs[k].iov_base = bufs[k];
        iovs[k].iov_len = UDP_SIZE;
        msgs[k].msg_hdr.msg_iov = &iovs[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
    }
    rcvtimeo(fd);
    rcvtimeo(go);
    pthread_create(&thread, NULL, batch_recv_sender, &b);
    clock_init(&c, n, GO_EVERY);
    for (long i = 0; i < n / GO_EVERY; i++) {
        udp_recv(go, buf, sizeof buf, NULL, 0);
        clock_restart(&c);
        for (long got = 0; variant.single && got < GO_EVERY;) {
            ssize_t r = recv(fd, bufs[0], UDP_SIZE, 0);
            if (r < 0 && errno == EINTR) continue;
            if (r != UDP_SIZE) die("recv");
            work();
            tick(&c);
            got++;
        }
        for (long got = variant.single ? GO_EVERY : 0; got < GO_EVERY;) {
            if (variant.kernel) crate_slots(msgs);
            else
                for (int k = 0; k < BATCH; k++) {
                    msgs[k].msg_hdr.msg_name = &names[k];
                    msgs[k].msg_hdr.msg_namelen = sizeof names[k];
                }
            /* The crate's timed batch receive tries first (MSG_DONTWAIT): the datagrams are there. */
            int flags = MSG_WAITFORONE | CRATE_MMSG_FLAGS | (variant.kernel ? MSG_DONTWAIT : 0);
            int r = recvmmsg(fd, msgs, BATCH, flags, NULL);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) die("recvmmsg");
            if (got + r > GO_EVERY) die("more datagrams than were sent");
            for (int k = 0; k < r; k++) {
                work();
                if (msgs[k].msg_len != UDP_SIZE) die("short datagram");
                tick(&c);
            }
            got += r;
        }
        udp_send(fd, "a", 1, &sender);
    }
    pthread_join(thread, NULL);
    close(fd);
    close(go);
    close(b.fd);
    clock_print(&c);
}

/* The `alloc` variant's record per socket, made with the socket and freed with it. */
static void *record_new(void) {
    if (!variant.alloc) return NULL;
    void *r = malloc(80);
    if (!r) die("malloc");
    __asm__ volatile("" : : "r"(r) : "memory");
    return r;
}

static void *accept_close(void *arg) {
    struct peer *p = arg;
    for (long i = 0; i < p->n; i++) {
        char peer[112];
        socklen_t len = sizeof peer;
        int conn = variant.kernel ? accept4(p->fd, (struct sockaddr *)peer, &len, SOCK_CLOEXEC)
                                  : accept4(p->fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0) die("accept4");
        void *record = record_new();
        close(conn);
        free(record);
    }
    return NULL;
}

/* connect with a timeout: non-blocking connect, poll, back to blocking; then wait for the
 * server's close (EOF) so the client never runs ahead of accept. */
static void connect_accept_close(long n) {
    struct peer p = {tcp_listener(), n, 0, {0}, 0};
    struct sockaddr_in to = local_addr(p.fd);
    pthread_t server;
    struct clock c;
    char byte;
    pthread_create(&server, NULL, accept_close, &p);
    clock_init(&c, n, 1);
    for (long i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), off = 0;
        if (fd < 0) die("socket");
        void *record = record_new();
        struct timespec deadline, start;
        if (variant.timer) clock_gettime(CLOCK_MONOTONIC, &deadline);
        work();
        if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
            if (errno != EINPROGRESS) die("connect");
            short revents;
            if (variant.timer) clock_gettime(CLOCK_MONOTONIC, &start);
            __asm__ volatile("" : : "r"(&deadline), "r"(&start) : "memory");
            if (variant.kernel) {
                struct pollfd p = {fd, POLLOUT, 0};
                struct timespec t = {TIMEOUT_MS / 1000, 0};
                if (ppoll(&p, 1, &t, NULL) != 1) die("ppoll");
                revents = p.revents;
            } else {
                revents = wait_for(fd, POLLOUT);
            }
            if (revents & (POLLERR | POLLHUP)) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                errno = err;
                die("connect");
            }
        }
        if (ioctl(fd, FIONBIO, &off) < 0) die("ioctl(FIONBIO)");
        if (recv(fd, &byte, 1, 0) != 0) die("expected EOF");
        close(fd);
        free(record);
        tick(&c);
    }
    pthread_join(server, NULL);
    close(p.fd);
    clock_print(&c);
}

/* ---- scale workloads (benches/compare/scale.rs) ---- */

#define SCALE_STACK (128 * 1024)

static pthread_barrier_t scale_barrier;

static void scale_spawn(pthread_t *t, void *(*f)(void *), void *arg) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, SCALE_STACK);
    if ((errno = pthread_create(t, &attr, f, arg)) != 0) die("pthread_create");
    pthread_attr_destroy(&attr);
}

/* scale_conns: a client thread per connection: connect, ops/8 untimed round trips, the
 * barrier, `ops` timed ones (each one's ns a sample); a server thread per connection echoes
 * until EOF. SO_RCVTIMEO once on both ends, as std's set_read_timeout. */
struct scale_client {
    struct sockaddr_in to;
    long ops;
    double *latencies;
    double end;
};

static void *scale_conn_client(void *arg) {
    struct scale_client *c = arg;
    char b = 7;
    int fd = tcp_connect(&c->to);
    nodelay(fd);
    rcvtimeo(fd);
    for (long i = 0; i < c->ops / 8; i++) {
        write_all(fd, &b, 1);
        read_exact(fd, &b, 1);
    }
    pthread_barrier_wait(&scale_barrier);
    double last = now_ns();
    for (long i = 0; i < c->ops; i++) {
        write_all(fd, &b, 1);
        read_exact(fd, &b, 1);
        double t = now_ns();
        c->latencies[i] = t - last;
        last = t;
    }
    c->end = last;
    close(fd);
    return NULL;
}

static void *scale_conn_server(void *arg) {
    int fd = (int)(intptr_t)arg;
    char b;
    for (;;) {
        ssize_t r = recv(fd, &b, 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) die("recv");
        if (r == 0) break;
        write_all(fd, &b, 1);
    }
    close(fd);
    return NULL;
}

static void scale_conns(long n, long ops) {
    int lfd = tcp_listener();
    struct sockaddr_in to = local_addr(lfd);
    pthread_t *clients = calloc((size_t)n, sizeof *clients), *servers = calloc((size_t)n, sizeof *servers);
    struct scale_client *cs = calloc((size_t)n, sizeof *cs);
    if (!clients || !servers || !cs) die("calloc");
    pthread_barrier_init(&scale_barrier, NULL, (unsigned)n + 1);
    for (long i = 0; i < n; i++) {
        cs[i].to = to;
        cs[i].ops = ops;
        cs[i].latencies = malloc(sizeof(double) * (size_t)ops);
        if (!cs[i].latencies) die("malloc");
        scale_spawn(&clients[i], scale_conn_client, &cs[i]);
        int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0) die("accept4");
        nodelay(conn);
        rcvtimeo(conn);
        scale_spawn(&servers[i], scale_conn_server, (void *)(intptr_t)conn);
    }
    pthread_barrier_wait(&scale_barrier);
    double start = now_ns(), end = start;
    for (long i = 0; i < n; i++) {
        pthread_join(clients[i], NULL);
        if (cs[i].end > end) end = cs[i].end;
    }
    for (long i = 0; i < n; i++) pthread_join(servers[i], NULL);
    printf("%.1f\n", (double)(n * ops) / ((end - start) / 1e9));
    for (long i = 0; i < n; i++) {
        for (long j = 0; j < ops; j++) printf("%.0f ", cs[i].latencies[j]);
        free(cs[i].latencies);
    }
    printf("\n");
    close(lfd);
}

/* scale_accept: `k` threads in blocking accept4 on one listener, each closing what it takes,
 * until each has taken one of the `k` stop connections; `clients` threads connect, read the
 * EOF and close, a share of each set, the sets started together (one untimed set first). */
static long scale_total, scale_share, scale_sets;
static long scale_accepted;
static struct sockaddr_in scale_to;

static void *scale_accepter(void *arg) {
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0 && errno == EINTR) continue;
        if (conn < 0) die("accept4");
        close(conn);
        if (__atomic_fetch_add(&scale_accepted, 1, __ATOMIC_RELAXED) >= scale_total) return NULL;
    }
}

static void *scale_accept_client(void *arg) {
    (void)arg;
    char byte;
    for (long s = 0; s <= scale_sets; s++) {
        pthread_barrier_wait(&scale_barrier);
        for (long i = 0; i < scale_share; i++) {
            int fd = tcp_connect(&scale_to);
            if (recv(fd, &byte, 1, 0) != 0) die("expected EOF");
            close(fd);
        }
        pthread_barrier_wait(&scale_barrier);
    }
    return NULL;
}

static void scale_accept(long k, long sets, long set, long clients) {
    int lfd = tcp_listener();
    scale_to = local_addr(lfd);
    scale_sets = sets;
    scale_share = set / clients;
    scale_total = (sets + 1) * scale_share * clients;
    pthread_t *as = calloc((size_t)k, sizeof *as), *cs = calloc((size_t)clients, sizeof *cs);
    if (!as || !cs) die("calloc");
    pthread_barrier_init(&scale_barrier, NULL, (unsigned)clients + 1);
    for (long i = 0; i < k; i++) scale_spawn(&as[i], scale_accepter, (void *)(intptr_t)lfd);
    for (long i = 0; i < clients; i++) scale_spawn(&cs[i], scale_accept_client, NULL);
    for (long s = 0; s <= sets; s++) {
        pthread_barrier_wait(&scale_barrier);
        double start = now_ns();
        pthread_barrier_wait(&scale_barrier);
        if (s > 0) printf("%.1f ", (double)(scale_share * clients) / ((now_ns() - start) / 1e9));
    }
    printf("\n");
    for (long i = 0; i < clients; i++) pthread_join(cs[i], NULL);
    for (long i = 0; i < k; i++) close(tcp_connect(&scale_to));
    for (long i = 0; i < k; i++) pthread_join(as[i], NULL);
    close(lfd);
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "scale_conns")) {
        scale_conns(atol(argv[2]), atol(argv[3]));
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "scale_accept")) {
        scale_accept(atol(argv[2]), atol(argv[3]), atol(argv[4]), atol(argv[5]));
        return 0;
    }
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: baseline <workload> <ops> [variant]\n");
        return 2;
    }
    if (argc == 4) parse_variant(argv[3]);
    const char *w = argv[1];
    long n = atol(argv[2]);
    if (n <= 0) {
        fprintf(stderr, "baseline: bad op count %s\n", argv[2]);
        return 2;
    }
    if (!strcmp(w, "tcp_rr_1")) tcp_rr(n, 1);
    else if (!strcmp(w, "tcp_rr_1k")) tcp_rr(n, 1024);
    else if (!strcmp(w, "tcp_bulk")) tcp_bulk(n);
    else if (!strcmp(w, "udp_rr_per_call")) udp_rr(n, 1);
    else if (!strcmp(w, "udp_rr_fixed")) udp_rr(n, 0);
    /* C has no adoption: the adopted row's floor is the fixed-timeout code. */
    else if (!strcmp(w, "udp_rr_adopted")) udp_rr(n, 0);
    else if (!strcmp(w, "udp_rr_shared")) udp_rr_shared(n);
    else if (!strcmp(w, "udp_oneway")) udp_oneway(n);
    else if (!strcmp(w, "udp_pipeline_batch32")) udp_pipeline_batch(n);
    else if (!strcmp(w, "udp_oneway_gso32")) udp_oneway_gso(n);
    else if (!strcmp(w, "udp_burst")) udp_burst(n);
    else if (!strcmp(w, "udp_batch_recv32")) udp_batch_recv(n);
    else if (!strcmp(w, "connect")) connect_accept_close(n);
    else if (!strcmp(w, "unix_rr_1")) unix_mode = 1, tcp_rr(n, 1);
    else if (!strcmp(w, "unix_bulk")) unix_mode = 1, tcp_bulk(n);
    else {
        fprintf(stderr, "baseline: unknown workload %s\n", w);
        return 2;
    }
    return 0;
}
