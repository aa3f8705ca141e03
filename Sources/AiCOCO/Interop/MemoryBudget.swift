// One memory limit for every table that grows with the input, and the raw byte helpers
// the spilling tables share.
import Glibc

/// Something holding memory that it can write out to disk on request.
protocol Spillable: AnyObject {
    /// Bytes of memory it holds now that `spill` would free (0 while it is being read).
    var spillableBytes: Int { get }
    /// Writes its in-memory part out and frees it.
    func spill() throws
    /// How much sooner to spill it than a table of the same size: more for a table that only
    /// collects, for a check at the end, than for one that answers lookups as the input
    /// streams past (spilling that one makes every later lookup miss and be kept for the end).
    var spillWeight: Int { get }
}

extension Spillable {
    var spillWeight: Int { 1 }
}

/// Shares one memory limit among tables: when a table needs more room than is left, the
/// largest tables are spilled to disk until it fits. A single request larger than the whole
/// limit is granted after everything else has been spilled. The counts have a lock: a table's
/// merge on a thread of its own (see `SpillingTable`) counts its buffers (`force`, `release`).
package final class MemoryBudget: @unchecked Sendable {
    static let defaultLimit = DocumentParsing.Options.defaultMemoryLimit
    /// The smallest limit accepted (smaller ones are raised to it).
    static let minimumLimit = 16 << 10

    private(set) var limit: Int
    private let lock = Monitor(conditions: 1)
    private var counted = 0, highest = 0
    var used: Int { lock.withLock { counted } }
    var peak: Int { lock.withLock { highest } }
    /// How many times a table was spilled.
    private(set) var spills = 0
    private var members: [Member] = []

    private struct Member {
        unowned let table: any Spillable
    }

    package init(limit: Int) {
        self.limit = max(limit, Self.minimumLimit)
    }

    func register(_ table: any Spillable) {
        members.append(Member(table: table))
    }

    /// Makes room for `bytes` more, spilling the largest tables first (by their size times
    /// their `spillWeight`).
    func reserve(_ bytes: Int) throws {
        while used + bytes > limit {
            var largest: (any Spillable)?
            var largestSize = 0
            for member in members where member.table.spillableBytes * member.table.spillWeight > largestSize {
                largest = member.table
                largestSize = member.table.spillableBytes * member.table.spillWeight
            }
            guard let largest else { break }
            try largest.spill()
            spills += 1
        }
        force(bytes)
    }

    /// Counts `bytes` as used without spilling anything (small buffers of a merge under way).
    func force(_ bytes: Int) {
        lock.withLock {
            counted += bytes
            highest = max(highest, counted)
        }
    }

    func release(_ bytes: Int) {
        lock.withLock { counted -= bytes }
    }

    /// Raises the limit (once memory counted elsewhere was given back); never lowers it.
    func raise(to newLimit: Int) {
        limit = max(limit, newLimit)
    }
}

/// Little helpers over raw bytes: unaligned loads and stores, LEB128 varints, key comparison.
enum RawBytes {
    @inline(__always)
    static func load32(_ pointer: UnsafeRawPointer) -> Int {
        Int(UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self)))
    }

    @inline(__always)
    static func store32(_ value: Int, _ pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian, as: UInt32.self)
    }

    @inline(__always)
    static func load64(_ pointer: UnsafeRawPointer) -> Int {
        Int(truncatingIfNeeded: UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self)))
    }

    @inline(__always)
    static func store64(_ value: Int, _ pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: UInt64(truncatingIfNeeded: value).littleEndian, as: UInt64.self)
    }

    /// Lexicographic order of byte strings (a prefix comes first).
    @inline(__always)
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = min(a.count, b.count)
        if common > 0 {
            let order = memcmp(a.baseAddress!, b.baseAddress!, common)
            if order != 0 { return Int(order) }
        }
        return a.count - b.count
    }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var index = 0
        while index + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0x100_0000_01b3
            hash ^= hash >> 31
            index += 8
        }
        while index < bytes.count {
            hash = (hash ^ UInt64(bytes[index])) &* 0x100_0000_01b3
            index += 1
        }
        return hash ^ (hash >> 29)
    }

    /// Appends `value` as an unsigned LEB128 varint.
    static func appendVarint(_ value: Int, to bytes: inout [UInt8]) {
        var rest = UInt64(bitPattern: Int64(value))
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// How many bytes `value` takes as an unsigned LEB128 varint.
    @inline(__always)
    static func varintCount(_ value: Int) -> Int {
        let bits = 64 - UInt64(bitPattern: Int64(value) | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    /// Writes `value` as an unsigned LEB128 varint at `bytes + position` (room for 10 bytes),
    /// moving `position` past it.
    @inline(__always)
    static func writeVarint(_ value: Int, to bytes: UnsafeMutableRawPointer, _ position: inout Int) {
        var rest = UInt64(bitPattern: Int64(value))
        while rest >= 0x80 {
            bytes.storeBytes(of: UInt8(truncatingIfNeeded: rest) | 0x80, toByteOffset: position, as: UInt8.self)
            position += 1
            rest >>= 7
        }
        bytes.storeBytes(of: UInt8(rest), toByteOffset: position, as: UInt8.self)
        position += 1
    }

    /// Reads a varint at `position`, moving it past.
    static func readVarint(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        return Int(Int64(bitPattern: value))
    }
}
