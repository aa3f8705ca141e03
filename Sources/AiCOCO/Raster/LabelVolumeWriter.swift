/// Writes a NIfTI label volume slice by slice, in whatever order the slices' annotations come:
/// each slice is painted in a cache of recent slices (least recently used leaves first, in
/// constant time) and written in place at its offset when it leaves the cache; a slice painted
/// again after that is read back, painted over and written again. Memory: the cache
/// (`cacheBytes`, at least two slices), whatever the size of the volume. FLaVor writes
/// annotations object by object, so the cache should hold the slices an object spans.
/// A `.nii.gz` volume is written to a temporary file first, then compressed by `prepare()`.
/// The output is written beside `path` under a hidden name and renamed onto `path` by `commit()`
/// (`finish()` does both): `path` is whole or untouched.
public final class LabelVolumeWriter {
    /// The volume's header (size, voxel type, geometry).
    public let header: NiftiHeader
    /// The file written.
    public let path: String
    /// Whether the output is gzip-compressed (a path ending in `.gz`).
    public let compressed: Bool
    /// Times a slice already written had to be read back (its annotations were not together).
    public private(set) var sliceReloads = 0

    private let output: RandomAccessFile
    private let volume: RandomAccessFile
    private var rasterizer: PolygonRasterizer
    private let sliceBytes: Int
    private let cachedSlices: Int
    /// The cached slices, in slots; `slotOfSlice[z]` is `z`'s slot or -1.
    private var cache: [CachedSlice] = []
    /// The slots' memory, one block of `cachedSlices * sliceBytes` (pages taken as slots are used).
    private let slotMemory: UnsafeMutableRawBufferPointer
    private var slotOfSlice: [Int32]
    /// Slots from most to least recently used: a list threaded through `newer` and `older`.
    private var newer: [Int] = [], older: [Int] = []
    private var newest = -1, oldest = -1
    /// Slices written to the file at least once (others still read as zeros).
    private var written: [Bool]
    private var finished = false
    private var prepared = false
    private var complete = false

    private struct CachedSlice {
        var z: Int
        var dirty: Bool
    }

    /// Most slices (times channels) a volume may have: 5 bytes of bookkeeping each, 20 MiB at most.
    public static let maxSlices = 1 << 22

    /// What painting a slice found under the new value.
    public struct Overlap: Sendable {
        /// Voxels that held another label (taken by the new value unless the rule keeps the old one).
        public var voxels = 0
        /// One of the values found there.
        public var under = 0
    }

    /// Creates the file at `path` (`.nii`, or `.nii.gz` for a compressed one). Throws
    /// `LabelVolumeError` when two slices do not fit `cacheBytes` or the disk lacks room.
    public init(path: String, header: NiftiHeader, cacheBytes: Int = 24 << 20) throws {
        precondition(header.width > 0 && header.height > 0 && header.depth >= 0 && header.channels >= 1, "a volume has a size")
        self.header = header
        self.path = path
        sliceBytes = header.sliceBytes
        guard sliceBytes <= cacheBytes / 2 else {
            throw LabelVolumeError(.usage, "a slice of \(header.width)x\(header.height) voxels of \(header.voxelType.size) byte(s) is \(describeBytes(sliceBytes)); two must fit the slice memory of \(describeBytes(cacheBytes)) (raise --memory-limit to \(describeBytes(2 * sliceBytes)) if this size is right)")
        }
        guard header.depth * header.channels <= Self.maxSlices else {
            throw LabelVolumeError(.usage, "a volume of \(header.depth) slices x \(header.channels) channels is past the \(Self.maxSlices) slices this writer keeps track of")
        }
        let total = header.voxelOffset + header.volumeBytes
        compressed = path.hasSuffix(".gz")
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? "."
        var needed = [(directory, total)]
        if compressed { needed.append((temporaryDirectory(), total)) }
        for (folder, bytes) in needed {
            if let free = availableDiskBytes(in: folder), bytes > free {
                throw LabelVolumeError(.usage, "the volume needs \(describeBytes(bytes)) and \(folder) has \(describeBytes(free)) free")
            }
        }
        cachedSlices = max(2, min(cacheBytes / max(1, sliceBytes), header.depth * header.channels))
        // The temporary file first: when it cannot be made, nothing is left beside `path`.
        let temporary = compressed ? try RandomAccessFile() : nil
        output = try RandomAccessFile(besides: path)
        volume = temporary ?? output
        slotMemory = .allocate(byteCount: cachedSlices * sliceBytes, alignment: 16)
        rasterizer = PolygonRasterizer(width: header.width, height: header.height)
        written = [Bool](repeating: false, count: header.depth * header.channels)
        slotOfSlice = [Int32](repeating: -1, count: header.depth * header.channels)
        try header.bytes.withUnsafeBytes { try volume.write($0, at: 0) }
        try volume.setSize(total)
    }

    deinit {
        slotMemory.deallocate()
        if !complete { output.discard() }
    }

    /// Fills every contour of `polygons` with `value` on slice `z` (of channel `channel`), by
    /// `rule` where another label is there already.
    @discardableResult
    public func fill(_ polygons: Polygons, slice z: Int, channel: Int = 0, value: Int,
                     rule: PolygonRasterizer.OverlapRule = .last) throws -> Overlap {
        precondition(z >= 0 && z < header.depth && channel >= 0 && channel < header.channels, "slice \(z) is outside the volume")
        let slot = try cacheSlot(for: channel * header.depth + z)
        let bytes = slotBytes(slot)
        let found: (voxels: Int, under: Int)
        switch header.voxelType {
        case .uint8:
            found = rasterizer.paint(polygons, value: UInt8(truncatingIfNeeded: value), rule: rule, into: bytes.bindMemory(to: UInt8.self))
        case .uint16:
            found = rasterizer.paint(polygons, value: UInt16(truncatingIfNeeded: value), rule: rule, into: bytes.bindMemory(to: UInt16.self))
        case .uint32:
            found = rasterizer.paint(polygons, value: UInt32(truncatingIfNeeded: value), rule: rule, into: bytes.bindMemory(to: UInt32.self))
        }
        cache[slot].dirty = true
        return Overlap(voxels: found.voxels, under: found.under)
    }

    /// Writes out what is cached and, for `.nii.gz`, compresses the volume into `path`
    /// (`level` 1 fastest to 9 smallest): `prepare` then `commit`.
    public func finish(compressionLevel level: Int32 = 6) throws {
        try prepare(compressionLevel: level)
        try commit()
    }

    /// Writes out what is cached and, for `.nii.gz`, compresses the volume, into the hidden file
    /// beside `path`; `path` is untouched until `commit()` (the hidden file is removed if this
    /// object goes away first, or on a terminating signal).
    public func prepare(compressionLevel level: Int32 = 6) throws {
        guard !finished else { return }
        finished = true
        for index in cache.indices { try writeBack(index) }
        if compressed { try compress(level: level) }
        prepared = true
    }

    /// Renames the volume written by `prepare` onto `path`.
    public func commit() throws {
        guard !complete else { return }
        precondition(prepared, "commit() follows a prepare() that succeeded")
        try output.replace(path)
        complete = true
    }

    private func compress(level: Int32) throws {
        let gzip = try GzipWriter(writingTo: output, level: level)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        let total = header.voxelOffset + header.volumeBytes
        var offset = 0
        while offset < total {
            let count = min(chunk.count, total - offset)
            let part = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<count])
            try volume.read(into: part, at: offset)
            try gzip.write(UnsafeRawBufferPointer(part))
            offset += count
        }
        try gzip.finish()
    }

    private func cacheSlot(for z: Int) throws -> Int {
        let known = Int(slotOfSlice[z])
        if known >= 0 {
            touch(known)
            return known
        }
        let slot: Int
        if cache.count < cachedSlices {
            cache.append(CachedSlice(z: z, dirty: false))
            newer.append(-1)
            older.append(-1)
            slot = cache.count - 1
            link(slot)
        } else {
            slot = oldest
            try writeBack(slot)
            slotOfSlice[cache[slot].z] = -1
            cache[slot].z = z
            touch(slot)
        }
        slotOfSlice[z] = Int32(slot)
        if written[z] {
            sliceReloads += 1
            try volume.read(into: slotBytes(slot), at: offset(of: z))
        } else {
            slotBytes(slot).initializeMemory(as: UInt8.self, repeating: 0)
        }
        return slot
    }

    /// Puts `slot` at the newest end of the list.
    private func link(_ slot: Int) {
        newer[slot] = -1
        older[slot] = newest
        if newest >= 0 { newer[newest] = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    /// Moves `slot` (in the list) to its newest end.
    private func touch(_ slot: Int) {
        guard slot != newest else { return }
        let (a, b) = (newer[slot], older[slot])
        if b >= 0 { newer[b] = a } else { oldest = a }
        if a >= 0 { older[a] = b }
        link(slot)
    }

    private func writeBack(_ slot: Int) throws {
        guard cache[slot].dirty else { return }
        try volume.write(UnsafeRawBufferPointer(slotBytes(slot)), at: offset(of: cache[slot].z))
        written[cache[slot].z] = true
        cache[slot].dirty = false
    }

    private func slotBytes(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: slotMemory[slot * sliceBytes..<(slot + 1) * sliceBytes])
    }

    private func offset(of z: Int) -> Int { header.voxelOffset + z * sliceBytes }
}

/// `12 MiB`, `9.3 GiB`: a size for messages.
func describeBytes(_ bytes: Int) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    if unit == 0 { return "\(bytes) bytes" }
    let rounded = (value * 10).rounded() / 10
    return "\(rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)) \(units[unit])"
}
