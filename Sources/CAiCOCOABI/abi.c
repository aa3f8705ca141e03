// The C ABI is implemented in Swift (target AiCOCOCAPI, @_cdecl); this target only carries
// its header, include/aicoco.h, so that the Swift side is compiled against the same structs.
#include "aicoco.h"
