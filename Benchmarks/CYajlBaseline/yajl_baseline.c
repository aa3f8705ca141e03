// Same-run baselines for the benchmarks: yajl driven from C.
#include "yajl_baseline.h"
#include <yajl/yajl_parse.h>

static int on_null(void *ctx) { ((aicoco_baseline_result *)ctx)->values++; return 1; }
static int on_bool(void *ctx, int v) { (void)v; ((aicoco_baseline_result *)ctx)->values++; return 1; }
static int on_number_noop(void *ctx, const char *s, size_t n) {
    (void)s; (void)n;
    aicoco_baseline_result *r = ctx;
    r->values++; r->numbers++;
    return 1;
}
static int on_number_integer(void *ctx, const char *s, size_t n) {
    aicoco_baseline_result *r = ctx;
    int64_t v = 0;
    size_t i = 0;
    int negative = 0;
    if (n > 0 && s[0] == '-') { negative = 1; i = 1; }
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9) break;
        v = v * 10 + d;
    }
    r->integer_sum += negative ? -v : v;
    r->values++; r->numbers++;
    return 1;
}
static int on_string(void *ctx, const unsigned char *s, size_t n) {
    (void)s; (void)n; ((aicoco_baseline_result *)ctx)->values++; return 1;
}
static int on_key(void *ctx, const unsigned char *s, size_t n) { (void)ctx; (void)s; (void)n; return 1; }
static int on_container(void *ctx) { (void)ctx; return 1; }

static aicoco_baseline_result run(const yajl_callbacks *callbacks, const uint8_t *bytes, size_t length, size_t chunk) {
    aicoco_baseline_result result = {0, 0, 0, 0};
    yajl_handle h = yajl_alloc(callbacks, NULL, &result);
    if (chunk == 0) chunk = length;
    yajl_status status = yajl_status_ok;
    for (size_t offset = 0; offset < length && status == yajl_status_ok; offset += chunk) {
        size_t n = length - offset < chunk ? length - offset : chunk;
        status = yajl_parse(h, bytes + offset, n);
    }
    if (status == yajl_status_ok) status = yajl_complete_parse(h);
    result.ok = status == yajl_status_ok;
    yajl_free(h);
    return result;
}

static const yajl_callbacks noop_callbacks = {
    on_null, on_bool, NULL, NULL, on_number_noop, on_string,
    on_container, on_key, on_container, on_container, on_container
};

static const yajl_callbacks integer_callbacks = {
    on_null, on_bool, NULL, NULL, on_number_integer, on_string,
    on_container, on_key, on_container, on_container, on_container
};

aicoco_baseline_result aicoco_yajl_noop(const uint8_t *bytes, size_t length, size_t chunk) {
    return run(&noop_callbacks, bytes, length, chunk);
}

aicoco_baseline_result aicoco_yajl_integers(const uint8_t *bytes, size_t length, size_t chunk) {
    return run(&integer_callbacks, bytes, length, chunk);
}
