/* The C ABI of libAiCOCOCAPI.so (target AiCOCOCAPI): the contract between the Swift engine and
 * the Python package `aicoco` (python/aicoco/_native.py holds its ctypes signatures to this
 * file; python/tests/test_header.py checks them).
 *
 * Inputs: every reading function takes (path, fd, bytes, length): a path when `path` is not
 * NULL, else the open descriptor `fd` when it is 0 or more (read to its end, not closed), else
 * `length` bytes at `bytes` (copied).
 * Errors: a function that fails stores a JSON object {"kind","message","path","line","column",
 * "offset","file"} in *error (malloc'd; free it with aicoco_free) and returns NULL or -1.
 * Every pointer this library returns is malloc'd and freed with aicoco_free (but aicoco_views', a
 * Python object).
 * Functions never call back into the caller except through `progress`, from the calling thread.
 */
#ifndef AICOCO_H
#define AICOCO_H

#include <stddef.h>
#include <stdint.h>

#define AICOCO_ABI_VERSION 6

#ifdef __cplusplus
extern "C" {
#endif

/* Called with the bytes read so far, the input's size (-1 when unknown) and the caller's context,
 * at most once per 4 MiB read and once at the end. Returns 0 to go on; anything else stops the
 * reading: the function that called it fails (NULL or -1) with an error of kind "io" whose message
 * says the progress callback stopped it (aicoco_records_next: at once, its lines dropped). */
typedef int32_t (*aicoco_progress)(int64_t bytes, int64_t total, void *context);

/* One batch of annotations, in file order, in two allocations owned by the caller after
 * aicoco_annotations_next: `coordinates`, and `columns`, which holds every other array below
 * (free both with aicoco_free, never free(): the library takes `coordinates` back and lends it
 * again for a later batch while a reader is open; or the whole batch with aicoco_batch_free).
 * Offsets arrays start with 0 and have one more entry than the things they delimit. */
typedef struct aicoco_batch {
    int64_t count;                 /* annotations in the batch */
    int64_t polygons;              /* polygons (segmentation) in the batch */
    int64_t values;                /* coordinate numbers (x, y, x, y...) in the batch */
    int64_t boxes;                 /* bboxes in the batch */
    double *coordinates;           /* [values], an allocation of its own */
    uint8_t *columns;              /* the allocation every array below points into */
    int64_t columns_length;        /* its size in bytes */
    int64_t *polygon_offsets;      /* [polygons + 1], into coordinates */
    int64_t *annotation_offsets;   /* [count + 1], into polygon_offsets' polygons */
    double *bboxes;                /* [boxes * 4]: x1, y1, x2, y2 per box */
    int64_t *bbox_offsets;         /* [count + 1], into bboxes, in boxes */
    int32_t *iscrowd;              /* [count] */
    uint8_t *segmentation_null;    /* [count]: 1 when "segmentation" is null */
    uint8_t *ids;                  /* UTF-8 of the ids one after another */
    int64_t *id_offsets;           /* [count + 1], into ids */
    uint8_t *image_ids;
    int64_t *image_id_offsets;     /* [count + 1] */
    uint8_t *object_ids;
    int64_t *object_id_offsets;    /* [count + 1] */
    /* Resolved by id when the reader was opened with resolve (else 0 entries, categories and
     * meta_length 0): */
    double *slice_index;           /* [count]: the index of the annotation's image, NaN when unknown */
    int32_t *category_codes;       /* [count]: the name of its object's first category, as a code
                                      into the names below; -1 when unknown */
    int64_t categories;            /* distinct category names (all of them: every batch has them) */
    uint8_t *category_names;       /* UTF-8 of the names one after another */
    int64_t *category_name_offsets;/* [categories + 1], into category_names */
    uint8_t *meta;                 /* the meta record as JSON, once read (else meta_length 0) */
    int64_t meta_length;
    int64_t bytes_read;            /* input bytes read when the batch was handed over */
    int64_t total_bytes;           /* the input's size, -1 when unknown */
} aicoco_batch;

/* AICOCO_ABI_VERSION of the library. */
int32_t aicoco_abi_version(void);

/* Frees anything this library returned. NULL is allowed. */
void aicoco_free(void *pointer);

/* The object `aicoco stats --json` prints, as JSON text; NULL on error.
 * memory_limit: bytes the spilling tables may hold (0: the default, 2 MiB). */
char *aicoco_stats(const char *path, int32_t fd, const uint8_t *bytes, int64_t length,
                   int64_t memory_limit, aicoco_progress progress, void *context, char **error);

/* The object `aicoco validate --format json` prints for the input, as JSON text, with at most
 * max_errors problems listed (all counted); an invalid input is a report, not an error. NULL
 * (and *error) only when the input cannot be read. strict not 0: also the rules of FLaVor's
 * output models (`validate --strict`). display_name names the input in the report (NULL: the
 * path, or "-"). */
char *aicoco_validate(const char *path, int32_t fd, const uint8_t *bytes, int64_t length,
                      const char *display_name, int64_t max_errors, int32_t strict, int64_t memory_limit,
                      aicoco_progress progress, void *context, char **error);

/* Opens a reader of annotation batches: the input is parsed on a thread of its own, at most four
 * batches ahead of the caller. A batch ends after the annotation that brings it to batch_values
 * coordinate numbers or batch_values / 16 annotations (at least 1). validate: also check the schema's rules and
 * the references (the first problem ends the reading as an error). resolve not 0: the batches
 * carry each annotation's slice index and category, resolved by id through the images (id ->
 * index) and objects (id -> first category id), held in spilling tables within memory_limit,
 * and the categories' names and the meta record; the reading takes one pass when the images,
 * categories and objects sections end before the first annotation, else two (see
 * aicoco_annotations_next). memory_limit: bytes those tables and the parser's may hold (0: the
 * default). threads: a big regular file's annotations (16 MiB or more, not gzip'd; neither
 * validate nor resolve, which read on one thread) are parsed among that many threads (0 or less: the cores the process
 * may use; 1: one thread), stretches of at most 1 MiB, at most two a thread ahead, the batches
 * still in file order and the same whatever the threads (a batch may end early at a stretch's
 * end); split_bytes > 0 (for tests): inputs of any size split in stretches of that many bytes.
 * NULL on error. */
void *aicoco_annotations_open(const char *path, int32_t fd, const uint8_t *bytes, int64_t length,
                              int64_t batch_values, int32_t validate, int32_t resolve, int64_t memory_limit,
                              int32_t threads, int64_t split_bytes, char **error);

/* The next batch into *batch: 1, 0 at the end of the input (batch untouched), -1 on the error
 * that stopped the parse (the batches before it were delivered). 2 (resolving only): an
 * annotation came before the images, categories or objects ended; the reader read the input
 * to its end for them, delivered no batch, and needs the same input again from its start:
 * call aicoco_annotations_reread, then aicoco_annotations_next again. */
int32_t aicoco_annotations_next(void *reader, aicoco_batch *batch, char **error);

/* Reads the input again (the same one, given anew) after aicoco_annotations_next returned 2:
 * 0, or -1 on error. */
int32_t aicoco_annotations_reread(void *reader, const char *path, int32_t fd, const uint8_t *bytes,
                                  int64_t length, char **error);

/* Frees the two allocations of a batch (its pointers are then dangling). NULL is allowed. */
void aicoco_batch_free(aicoco_batch *batch);

/* Stops the reader's thread and frees the reader. */
void aicoco_annotations_close(void *reader);

/* Opens a reader of records as JSON lines (what `aicoco records` writes): sections is a comma-
 * separated list of section names (NULL or "": all); envelope not 0 gives {"section","record"}
 * lines. The input is validated as it is read. progress (may be NULL) is called from
 * aicoco_records_next, on the caller's thread. NULL on error. */
void *aicoco_records_open(const char *path, int32_t fd, const uint8_t *bytes, int64_t length,
                          const char *sections, int32_t envelope, int64_t memory_limit,
                          aicoco_progress progress, void *context, char **error);

/* The lines of the next records into *lines (malloc'd) and *length: 1, 0 at the end, -1 on the
 * error or first problem that stopped the reading (the lines of the records before it were
 * delivered). */
int32_t aicoco_records_next(void *reader, uint8_t **lines, int64_t *length, char **error);

/* Stops the reader and frees it. */
void aicoco_records_close(void *reader);

/* What aicoco_views calls in the running Python and numpy (the caller fills it in: CPython's
 * functions of the stable ABI, and numpy's PyArray_NewFromDescr and PyArray_SetBaseObject from its
 * C API table, slots 94 and 282). Objects are PyObject pointers. */
typedef struct aicoco_python {
    void (*incref)(void *object);
    void (*decref)(void *object);
    void *(*capsule_new)(void *pointer, const char *name, void (*destructor)(void *capsule));
    void *(*capsule_get_pointer)(void *capsule, const char *name);
    void *(*cfunction_new)(void *method, void *self, void *module);  /* PyCFunction_NewEx */
    void *(*new_from_descr)(void *type, void *descr, int nd, const intptr_t *dims, const intptr_t *strides,
                            void *data, int flags, void *object);     /* steals descr */
    int (*set_base_object)(void *array, void *base);                 /* steals base */
} aicoco_python;

/* A Python callable of one argument (ignored) that returns, call after call, `count`
 * one-dimensional numpy arrays of `descr` (8-byte items) of type `type`, each made when asked
 * for: array i holds items ends[i] to ends[i + 1] of `data`, the memory of the array `base`
 * (`values` items), with numpy's `flags`, and its base is `base` (map it over count items:
 * map(views, itertools.repeat(None, count))). It holds references to type, descr and base, and
 * a copy of the ends. Called with the GIL held (ctypes.PyDLL). A new reference, or NULL (the
 * error set by Python, or none when the ends are out of order or past `values`). */
void *aicoco_views(const aicoco_python *python, void *type, void *descr, void *base, void *data,
                   int64_t values, const int64_t *ends, int64_t count, int32_t flags);

#ifdef __cplusplus
}
#endif

#endif
