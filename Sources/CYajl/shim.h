#ifndef AICOCO_CYAJL_SHIM_H
#define AICOCO_CYAJL_SHIM_H
#include <yajl/yajl_parse.h>
#include <yajl/yajl_gen.h>
#endif
