// Memory from the C heap (malloc/realloc/free), for buffers handed to C callers who free them.
import Glibc

/// The C heap: storage a C caller (the Python binding) frees with `free`.
package enum CHeap {
    /// Room for `capacity` values of `type`, uninitialized; traps when the heap is exhausted.
    package static func allocate<Element>(_ type: Element.Type, capacity: Int) -> UnsafeMutablePointer<Element> {
        guard let memory = malloc(max(capacity, 1) * MemoryLayout<Element>.stride) else {
            fatalError("out of memory: \(capacity * MemoryLayout<Element>.stride) bytes")
        }
        return memory.assumingMemoryBound(to: type)
    }

    /// `pointer`'s storage grown (or shrunk) to `capacity` values, its contents kept.
    package static func reallocate<Element>(_ pointer: UnsafeMutablePointer<Element>, capacity: Int) -> UnsafeMutablePointer<Element> {
        guard let memory = realloc(pointer, max(capacity, 1) * MemoryLayout<Element>.stride) else {
            fatalError("out of memory: \(capacity * MemoryLayout<Element>.stride) bytes")
        }
        return memory.assumingMemoryBound(to: Element.self)
    }

    /// Gives back storage from `allocate` or `reallocate` (nil: nothing).
    package static func free(_ pointer: UnsafeMutableRawPointer?) {
        Glibc.free(pointer)
    }

    /// `text` as a NUL-terminated copy in C heap memory.
    package static func string(_ text: String) -> UnsafeMutablePointer<CChar> {
        var text = text
        return text.withUTF8 { utf8 in
            let copy = allocate(CChar.self, capacity: utf8.count + 1)
            if let base = utf8.baseAddress {
                UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: utf8.count)
            }
            copy[utf8.count] = 0
            return copy
        }
    }
}

/// Why `path` cannot be opened for reading (`access(2)`), or nil when it can.
package func unreadableReason(_ path: String) -> Errno? {
    if case .failure(let error) = nothingOrErrno({ access(path, R_OK) }) { return error }
    return nil
}
