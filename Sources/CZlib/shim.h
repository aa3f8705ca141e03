#ifndef AICOCO_CZLIB_SHIM_H
#define AICOCO_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2 is a macro, which Swift cannot call: a gzip stream (header and trailer written
   by zlib) at the given level. */
static inline int aicoco_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
/* inflateInit2 is a macro too: reads one gzip member (header and trailer checked by zlib). */
static inline int aicoco_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 16);
}
#endif
