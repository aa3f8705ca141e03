// The C ABI is implemented in Swift (target AiCOCOCAPI, @_cdecl), but for aicoco_views, here:
// it makes Python objects through the function pointers its caller gives (this library links
// neither Python nor numpy), so that the Python package gets a batch's per-annotation views in
// one call instead of one slice (and one interpreted step) per annotation.
#include "aicoco.h"

void *aicoco_views(const aicoco_python *python, void *type, void *descr, void *base, void *data,
                   int64_t values, const int64_t *ends, int64_t count, int32_t flags) {
    if (count < 0 || ends[0] < 0 || ends[count] > values) return NULL;
    for (int64_t i = 0; i < count; i++) {
        if (ends[i] > ends[i + 1]) return NULL;
    }
    void *list = python->list_new((intptr_t)count);
    if (list == NULL) return NULL;
    const intptr_t stride = 8;
    char *bytes = data;
    for (int64_t i = 0; i < count; i++) {
        intptr_t length = (intptr_t)(ends[i + 1] - ends[i]);
        python->incref(descr);
        void *view = python->new_from_descr(type, descr, 1, &length, &stride, bytes + ends[i] * stride, flags, NULL);
        if (view == NULL) {
            python->decref(list);
            return NULL;
        }
        python->incref(base);
        if (python->set_base_object(view, base) < 0) {
            python->decref(view);
            python->decref(list);
            return NULL;
        }
        python->list_set_item(list, (intptr_t)i, view);
    }
    return list;
}
