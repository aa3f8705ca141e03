// Values by id within a memory budget: built, then frozen, then looked up.

/// A map from ids to small byte values for the catalogs of `convert` and `filter`, within a
/// `MemoryBudget`: `set` while building (the first value of an id wins), `freeze`, then
/// `value(for:)`. When everything fits it stays in memory (binary search); otherwise the
/// sorted runs are merged into one file read back through a sparse index, one block at a time.
package final class IDMap {
    private let table: ExternalSorter
    private let budget: MemoryBudget
    private var key: [UInt8] = []
    private var sequence = 0
    private var frozen = false
    private var inMemory = false
    // On disk: one sorted run, a key every `blockSize` bytes.
    private var file: TemporaryFile?
    private var indexKeys: [UInt8] = []
    private var indexKeyEnds: [Int] = []
    private var indexOffsets: [Int] = []
    private var fileSize = 0
    private var block = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var cachedBlock = -1
    /// The whole merged file is in `block` (it fit in what the budget had left at `freeze`).
    private(set) var wholeFile = false
    private static let blockSize = 4096

    package init(budget: MemoryBudget) {
        self.budget = budget
        table = ExternalSorter(budget: budget, indexed: true)
    }

    deinit {
        budget.release(block.count)
        block.deallocate()
    }

    /// True once frozen.
    var isFrozen: Bool { frozen }

    /// Whether `id` has a value (after `freeze`).
    func contains(_ id: String) throws -> Bool { try value(for: id) != nil }

    /// Adds `value` for `id` unless the id already has one.
    package func set(_ id: String, _ value: [UInt8]) throws {
        precondition(!frozen)
        encode(id)
        if key.withUnsafeBytes({ table.find($0) }) != nil { return }
        var payload = [UInt8](repeating: 0, count: 8)
        payload.withUnsafeMutableBytes { RawBytes.store64(sequence, $0.baseAddress!) }
        sequence += 1
        payload.append(contentsOf: value)
        try key.withUnsafeBytes { key in try payload.withUnsafeBytes { try table.append(key: key, payload: $0) } }
    }

    /// Ends the building: from now on, only lookups.
    package func freeze() throws {
        if frozen { return }
        frozen = true
        let stream = try table.sorted()
        if !table.hasRuns {
            inMemory = true
            return
        }
        let output = try TemporaryFile(bufferCapacity: 1 << 14)
        var last: [UInt8]? = nil
        var bestSequence = 0
        var best: [UInt8] = []
        func emit() throws {
            guard let last else { return }
            if output.size / Self.blockSize >= indexOffsets.count {
                indexKeys.append(contentsOf: last)
                indexKeyEnds.append(indexKeys.count)
                indexOffsets.append(output.size)
            }
            var header: (UInt32, UInt32) = (UInt32(last.count).littleEndian, UInt32(best.count).littleEndian)
            try withUnsafeBytes(of: &header) { try output.write($0) }
            try last.withUnsafeBytes { try output.write($0) }
            try best.withUnsafeBytes { try output.write($0) }
        }
        while !stream.atEnd {
            let sequence = RawBytes.load64(stream.payload.baseAddress!)
            if let current = last, current.withUnsafeBytes({ RawBytes.compare($0, stream.key) }) == 0 {
                if sequence < bestSequence {
                    bestSequence = sequence
                    best = Array(stream.payload)
                }
            } else {
                try emit()
                last = Array(stream.key)
                bestSequence = sequence
                best = Array(stream.payload)
            }
            try stream.advance()
        }
        try emit()
        try output.finishWriting()
        fileSize = output.size
        file = output
        table.reset()
        // Lookups come in no useful order: when the merged file fits in what is left of the
        // budget, it is read once instead of one block per lookup that misses the cached one.
        if fileSize > 0 && budget.used + fileSize <= budget.limit {
            block = UnsafeMutableRawBufferPointer.allocate(byteCount: fileSize, alignment: 8)
            budget.force(fileSize)
            guard try output.read(at: 0, into: block) == fileSize else {
                throw output.cutShort()
            }
            wholeFile = true
        }
    }

    /// The value of `id`, if any, valid until the next call.
    func value(for id: String) throws -> UnsafeRawBufferPointer? {
        var id = id
        return try id.withUTF8 { try value(for: $0) }
    }

    /// The value of the id whose UTF-8 bytes are `id`, if any, valid until the next call.
    package func value(for id: UnsafeBufferPointer<UInt8>) throws -> UnsafeRawBufferPointer? {
        precondition(frozen)
        IDKey.encode(id, into: &key)
        if inMemory {
            return key.withUnsafeBytes { table.lookupSorted($0) }.map { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[8...]) }
        }
        guard let file, !indexOffsets.isEmpty else { return nil }
        // The last block whose first key is at most `key`.
        var low = 0, high = indexOffsets.count - 1, found = -1
        key.withUnsafeBytes { key in
            while low <= high {
                let middle = (low + high) / 2
                let start = middle == 0 ? 0 : indexKeyEnds[middle - 1]
                let order = indexKeys.withUnsafeBytes {
                    RawBytes.compare(UnsafeRawBufferPointer(rebasing: $0[start..<indexKeyEnds[middle]]), key)
                }
                if order <= 0 { found = middle; low = middle + 1 } else { high = middle - 1 }
            }
        }
        guard found >= 0 else { return nil }
        var blockStart = 0, blockEnd = block.count
        if wholeFile {
            blockStart = indexOffsets[found]
            blockEnd = found + 1 < indexOffsets.count ? indexOffsets[found + 1] : fileSize
        } else if cachedBlock != found {
            let start = indexOffsets[found]
            let end = found + 1 < indexOffsets.count ? indexOffsets[found + 1] : fileSize
            if block.count != end - start {
                budget.release(block.count)
                block.deallocate()
                block = UnsafeMutableRawBufferPointer.allocate(byteCount: end - start, alignment: 8)
                budget.force(block.count)
            }
            let read = try file.read(at: start, into: block)
            guard read == end - start else {
                throw file.cutShort()
            }
            cachedBlock = found
            blockEnd = block.count
        }
        do {
            let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(block)[blockStart..<blockEnd])
            var position = 0
            while position + 8 <= bytes.count {
                let keyCount = RawBytes.load32(bytes.baseAddress! + position)
                let payloadCount = RawBytes.load32(bytes.baseAddress! + position + 4)
                let recordKey = UnsafeRawBufferPointer(rebasing: bytes[position + 8..<position + 8 + keyCount])
                let order = key.withUnsafeBytes { RawBytes.compare(recordKey, $0) }
                if order == 0 {
                    let start = position + 8 + keyCount + 8
                    return UnsafeRawBufferPointer(rebasing: bytes[start..<position + 8 + keyCount + payloadCount])
                }
                if order > 0 { return nil }
                position += 8 + keyCount + payloadCount
            }
            return nil
        }
    }

    private func encode(_ id: String) {
        var id = id
        id.withUTF8 { IDKey.encode($0, into: &key) }
    }
}

/// Byte records appended to a temporary file and read back in order (for lists that grow
/// with the input and are needed again once, in file order).
final class ByteLog {
    private var file: TemporaryFile?
    private(set) var count = 0

    func append(_ bytes: [UInt8]) throws {
        if file == nil { file = try TemporaryFile() }
        var length = UInt32(bytes.count).littleEndian
        try withUnsafeBytes(of: &length) { try file!.write($0) }
        try file!.write(bytes)
        count += 1
    }

    func forEach(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let file else { return }
        try file.finishWriting()
        var offset = 0
        var record: [UInt8] = []
        while offset < file.size {
            var length: UInt32 = 0
            _ = try withUnsafeMutableBytes(of: &length) { try file.read(at: offset, into: $0) }
            let count = Int(UInt32(littleEndian: length))
            if record.count < count { record = [UInt8](repeating: 0, count: count) }
            let read = try record.withUnsafeMutableBytes { try file.read(at: offset + 4, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<count])) }
            guard read == count else {
                throw file.cutShort()
            }
            offset += 4 + count
            try record.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }
}
