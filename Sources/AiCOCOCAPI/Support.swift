// Conversions at the C boundary: inputs, errors and results as malloc'd C strings.
import AiCOCO
import CAiCOCOABI

/// The input a C caller names: a path, else an open descriptor, else bytes in memory.
func cInput(_ path: UnsafePointer<CChar>?, _ fd: Int32, _ bytes: UnsafePointer<UInt8>?, _ length: Int64) -> DocumentSource {
    if let path { return .file(String(cString: path)) }
    if fd >= 0 { return .fileDescriptor(fd) }
    guard let bytes, length > 0 else { return .bytes([]) }
    return .bytes(Array(UnsafeBufferPointer(start: bytes, count: Int(length))))
}

/// `text` as a NUL-terminated copy in malloc'd memory (the caller frees it with `aicoco_free`).
func mallocString(_ text: String) -> UnsafeMutablePointer<CChar> {
    CHeap.string(text)
}

/// An error as the JSON object the Python side raises: kind, message, path, line, column,
/// offset, file (null when the error is in the input itself).
func errorJSON(_ error: Error) -> String {
    let error = (error as? DocumentError)
        ?? DocumentError(kind: .io, message: "\(error)", path: "$", location: SourceLocation(offset: 0, line: 0, column: 0))
    return "{\"kind\":\"\(error.kind.rawValue)\",\"message\":\(JSONText.quoted(error.message)),\"path\":\(JSONText.quoted(error.path)),\"line\":\(error.location.line),\"column\":\(error.location.column),\"offset\":\(error.location.offset),\"file\":\(error.file.map(JSONText.quoted) ?? "null")}"
}

/// Stores `error` for the caller through `out` (when given).
func setError(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ error: Error) {
    out?.pointee = mallocString(errorJSON(error))
}

/// Parser options from the C arguments (0 or less: the default).
func cOptions(memoryLimit: Int64, validate: Bool) -> DocumentParsing.Options {
    DocumentParsing.Options(validate: validate,
                  memoryLimit: memoryLimit > 0 ? Int(memoryLimit) : DocumentParsing.Options.defaultMemoryLimit)
}

/// The progress callback of the C API: bytes read, the input's size (-1 when unknown) and the
/// caller's context; called at most once per 4 MiB read, and once at the end. It returns 0 to
/// go on, anything else to stop the reading.
typealias CProgress = aicoco_progress

/// Thrown when the progress callback asked to stop.
struct ProgressStopped: Error, CustomStringConvertible {
    var description: String { "the reading was stopped by the progress callback" }
}

/// Calls `callback` when `bytes` has moved on by 4 MiB since the last call.
struct ProgressThrottle {
    let callback: CProgress?
    let context: UnsafeMutableRawPointer?
    let total: Int64
    private var last: Int = 0

    init(_ callback: CProgress?, _ context: UnsafeMutableRawPointer?, input: DocumentSource) {
        self.callback = callback
        self.context = context
        var size: Int64 = -1
        switch input {
        case .file(let path):
            if path != "-", let bytes = regularFileSize(path: path) { size = Int64(bytes) }
        case .bytes(let bytes): size = Int64(bytes.count)
        default: break
        }
        total = size
    }

    /// Throws `ProgressStopped` when the callback asks to stop.
    mutating func update(_ bytes: Int) throws {
        guard let callback, bytes - last >= 4 << 20 else { return }
        last = bytes
        if callback(Int64(bytes), total, context) != 0 { throw ProgressStopped() }
    }

    func finish(_ bytes: Int) throws {
        if let callback, callback(Int64(bytes), total, context) != 0 { throw ProgressStopped() }
    }
}

/// A growable buffer in malloc'd memory whose storage can be handed to the caller.
struct MallocBuffer<Element> {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        pointer = CHeap.allocate(Element.self, capacity: self.capacity)
    }

    private mutating func grow(to needed: Int) {
        while capacity < needed { capacity *= 2 }
        pointer = CHeap.reallocate(pointer, capacity: capacity)
    }

    @inline(__always)
    mutating func append(_ value: Element) {
        if count == capacity { grow(to: count + 1) }
        (pointer + count).initialize(to: value)
        count += 1
    }

    mutating func append(contentsOf values: UnsafeBufferPointer<Element>) {
        guard let base = values.baseAddress, values.count > 0 else { return }
        if count + values.count > capacity { grow(to: count + values.count) }
        (pointer + count).initialize(from: base, count: values.count)
        count += values.count
    }

    /// Drops the elements from `newCount` on.
    mutating func truncate(to newCount: Int) { count = min(count, newCount) }

    /// Lends the storage to the caller through `pool` (the caller gives it back with
    /// `aicoco_free`) and starts again, empty, in a spare of at least `capacity` elements.
    mutating func lend(to pool: CoordinatePool, capacity newCapacity: Int) -> UnsafeMutablePointer<Element> {
        let taken = pointer
        let stride = MemoryLayout<Element>.stride
        pool.lend(UnsafeMutableRawPointer(taken), bytes: capacity * stride)
        let spare = pool.take(bytes: max(newCapacity, 16) * stride)
        capacity = spare.bytes / stride
        pointer = spare.pointer.bindMemory(to: Element.self, capacity: capacity)
        count = 0
        return taken
    }

    /// Copies the elements to `offset` bytes into `block`; returns where they are.
    func copy(to block: UnsafeMutableRawPointer, at offset: Int) -> UnsafeMutablePointer<Element> {
        let target = (block + offset).bindMemory(to: Element.self, capacity: count)
        target.initialize(from: pointer, count: count)
        return target
    }

    func free() { CHeap.free(pointer) }
}

/// Ids one after another as UTF-8 with their end offsets (a leading 0).
struct IDColumn {
    var bytes: MallocBuffer<UInt8>
    var ends: MallocBuffer<Int64>

    init(capacity: Int) {
        bytes = MallocBuffer(capacity: capacity * 21)
        ends = MallocBuffer(capacity: capacity + 1)
        ends.append(0)
    }

    mutating func append(_ id: RecordID) {
        id.withUTF8Bytes { bytes.append(contentsOf: $0) }
        ends.append(Int64(bytes.count))
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
        ends.append(Int64(bytes.count))
    }

    /// Empties the column (its storage is kept).
    mutating func removeAll() {
        bytes.truncate(to: 0)
        ends.truncate(to: 0)
        ends.append(0)
    }
}
