// The whole-process baseline of the speed targets: yajl 2 driven from C with no-op callbacks,
// reading a file (or standard input) in 256 KB chunks, as `aicoco` does.
// Build: cc -O2 -o yajl-noop Benchmarks/yajl_noop.c $(pkg-config --cflags --libs yajl)
// Run:   farm-bench --vs "./yajl-noop big.json" -- .build/release/aicoco stats --json big.json
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <yajl/yajl_parse.h>

static unsigned long long values;
static int on_null(void *c) { (void)c; values++; return 1; }
static int on_bool(void *c, int v) { (void)c; (void)v; values++; return 1; }
static int on_number(void *c, const char *s, size_t n) { (void)c; (void)s; (void)n; values++; return 1; }
static int on_string(void *c, const unsigned char *s, size_t n) { (void)c; (void)s; (void)n; values++; return 1; }
static int on_key(void *c, const unsigned char *s, size_t n) { (void)c; (void)s; (void)n; return 1; }
static int on_container(void *c) { (void)c; return 1; }

static const yajl_callbacks callbacks = {
    on_null, on_bool, NULL, NULL, on_number, on_string,
    on_container, on_key, on_container, on_container, on_container
};

int main(int argc, char **argv) {
    int fd = argc > 1 ? open(argv[1], O_RDONLY) : 0;
    if (fd < 0) { perror(argv[1]); return 2; }
    static unsigned char buffer[256 << 10];
    yajl_handle h = yajl_alloc(&callbacks, NULL, NULL);
    yajl_status status = yajl_status_ok;
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { perror("read"); return 2; }
        if (n == 0) break;
        status = yajl_parse(h, buffer, (size_t)n);
        if (status != yajl_status_ok) break;
    }
    if (status == yajl_status_ok) status = yajl_complete_parse(h);
    if (status != yajl_status_ok) {
        unsigned char *e = yajl_get_error(h, 0, NULL, 0);
        fprintf(stderr, "%s", (const char *)e);
        yajl_free_error(h, e);
        return 1;
    }
    printf("%llu values\n", values);
    yajl_free(h);
    return 0;
}
