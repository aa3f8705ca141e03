// The C ABI is implemented in Swift (target AiCOCOCAPI, @_cdecl), but for aicoco_views, here:
// it makes Python objects through the function pointers its caller gives (this library links
// neither Python nor numpy), so that the Python package gets a batch's per-annotation views
// from a builtin callable, one view a call, instead of one slice (and one interpreted step)
// per annotation. A view made when asked for is freed before the next one is made (when the
// caller drops it): its memory comes back at once, where a list of them all did not.
#include <stdlib.h>
#include <string.h>
#include "aicoco.h"

static const char views_name[] = "aicoco.views";

/* The process's Python (one per process: set at each aicoco_views, always the same). */
static aicoco_python python;

typedef struct views_state {
    void *type, *descr, *base;
    char *data;
    int64_t next, count;
    int32_t flags;
    int64_t ends[];  /* count + 1 */
} views_state;

/* PyMethodDef: name, function, flags (METH_O), doc. */
typedef struct method_def {
    const char *name;
    void *(*function)(void *self, void *argument);
    int flags;
    const char *doc;
} method_def;

static void *next_view(void *self, void *argument) {
    (void)argument;
    views_state *state = python.capsule_get_pointer(self, views_name);
    if (state == NULL || state->next >= state->count) return NULL;
    int64_t index = state->next++;
    const intptr_t length = (intptr_t)(state->ends[index + 1] - state->ends[index]), stride = 8;
    python.incref(state->descr);
    void *view = python.new_from_descr(state->type, state->descr, 1, &length, &stride,
                                       state->data + state->ends[index] * stride, state->flags, NULL);
    if (view == NULL) return NULL;
    python.incref(state->base);
    if (python.set_base_object(view, state->base) < 0) {
        python.decref(view);
        return NULL;
    }
    return view;
}

static method_def next_view_method = {"annotation_coordinates", next_view, 0x0008 /* METH_O */, NULL};

static void free_state(void *capsule) {
    views_state *state = python.capsule_get_pointer(capsule, views_name);
    if (state == NULL) return;
    python.decref(state->type);
    python.decref(state->descr);
    python.decref(state->base);
    free(state);
}

void *aicoco_views(const aicoco_python *caller, void *type, void *descr, void *base, void *data,
                   int64_t values, const int64_t *ends, int64_t count, int32_t flags) {
    if (count < 0 || ends[0] < 0 || ends[count] > values) return NULL;
    for (int64_t i = 0; i < count; i++) {
        if (ends[i] > ends[i + 1]) return NULL;
    }
    python = *caller;
    views_state *state = malloc(sizeof(views_state) + (size_t)(count + 1) * sizeof(int64_t));
    if (state == NULL) return NULL;
    *state = (views_state){type, descr, base, data, 0, count, flags};
    memcpy(state->ends, ends, (size_t)(count + 1) * sizeof(int64_t));
    python.incref(type);
    python.incref(descr);
    python.incref(base);
    void *capsule = python.capsule_new(state, views_name, free_state);
    if (capsule == NULL) {
        python.decref(type);
        python.decref(descr);
        python.decref(base);
        free(state);
        return NULL;
    }
    void *function = python.cfunction_new(&next_view_method, capsule, NULL);
    python.decref(capsule);  /* the function holds it (or it is freed, with the state) */
    return function;
}
