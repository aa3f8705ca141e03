#ifndef AICOCO_YAJL_BASELINE_H
#define AICOCO_YAJL_BASELINE_H
#include <stddef.h>
#include <stdint.h>

/// What a baseline run saw.
typedef struct {
    uint64_t values;      ///< scalar values (numbers, strings, literals)
    uint64_t numbers;     ///< numbers
    int64_t integer_sum;  ///< sum of the integers parsed (integer baseline only)
    int ok;               ///< 1 when the text was valid JSON
} aicoco_baseline_result;

/// Feeds `length` bytes to yajl in chunks of `chunk` bytes with callbacks that do nothing
/// but count: the speed ceiling of any parser built on yajl.
aicoco_baseline_result aicoco_yajl_noop(const uint8_t *bytes, size_t length, size_t chunk);

/// The same, parsing every number's digits into an integer (yajl's raw-number callback).
aicoco_baseline_result aicoco_yajl_integers(const uint8_t *bytes, size_t length, size_t chunk);

#endif
