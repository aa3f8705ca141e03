#ifndef AICOCO_CYAJL_SHIM_H
#define AICOCO_CYAJL_SHIM_H
#include <yajl/yajl_parse.h>
#include <yajl/yajl_gen.h>

/* yajl_gen_config is variadic, which Swift cannot call: one fixed-argument wrapper per kind
   of option argument. */
static inline int aicoco_yajl_gen_config_flag(yajl_gen g, yajl_gen_option option, int value) {
    return yajl_gen_config(g, option, value);
}

static inline int aicoco_yajl_gen_config_string(yajl_gen g, yajl_gen_option option, const char *value) {
    return yajl_gen_config(g, option, value);
}
/* yajl_config is variadic too. */
static inline int aicoco_yajl_config_flag(yajl_handle h, yajl_option option, int value) {
    return yajl_config(h, option, value);
}
#endif
