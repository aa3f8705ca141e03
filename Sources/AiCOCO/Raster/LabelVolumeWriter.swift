/// Writes a NIfTI-1 label volume slice by slice, in whatever order the slices' annotations come:
/// each slice is painted in a cache of recent slices and written in place at its offset when it
/// leaves the cache; a slice painted again after that is read back, painted over and written
/// again. Memory: the cache (`cacheBytes`), whatever the size of the volume. FLaVor writes
/// annotations object by object, so the cache should hold the slices an object spans.
/// A `.nii.gz` volume is written to a temporary file first, then compressed by `finish()`.
/// The output is written beside `path` under a hidden name and renamed onto `path` by `finish()`:
/// `path` is whole or untouched.
public final class LabelVolumeWriter {
    public let header: NiftiHeader
    public let path: String
    /// Whether the output is gzip-compressed (a path ending in `.gz`).
    public let compressed: Bool
    /// Times a slice already written had to be read back (its annotations were not together).
    public private(set) var sliceReloads = 0

    private let output: RandomAccessFile
    private let volume: RandomAccessFile
    private var rasterizer: PolygonRasterizer
    private let sliceBytes: Int
    private var cache: [CachedSlice] = []
    private let cachedSlices: Int
    private var clock = 0
    /// Slices written to the file at least once (others still read as zeros).
    private var written: [Bool]
    private var finished = false
    private var complete = false

    private struct CachedSlice {
        var z: Int
        var bytes: UnsafeMutableRawBufferPointer
        var dirty: Bool
        var lastUse: Int
    }

    /// Creates the file at `path` (`.nii`, or `.nii.gz` for a compressed one).
    public init(path: String, header: NiftiHeader, cacheBytes: Int = 24 << 20) throws {
        precondition(header.width > 0 && header.height > 0 && header.depth >= 0, "a volume has a size")
        self.header = header
        self.path = path
        sliceBytes = header.width * header.height * header.voxelType.size
        cachedSlices = max(2, cacheBytes / max(1, sliceBytes))
        compressed = path.hasSuffix(".gz")
        output = try RandomAccessFile(besides: path)
        volume = compressed ? try RandomAccessFile() : output
        rasterizer = PolygonRasterizer(width: header.width, height: header.height)
        written = [Bool](repeating: false, count: header.depth)
        try header.bytes.withUnsafeBytes { try volume.write($0, at: 0) }
        try volume.setSize(NiftiHeader.voxelOffset + header.volumeBytes)
    }

    deinit {
        for slice in cache { slice.bytes.deallocate() }
        if !complete { output.discard() }
    }

    /// Fills every contour of `polygons` with `value` on slice `z` (over what is there).
    public func fill(_ polygons: Polygons, slice z: Int, value: Int) throws {
        precondition(z >= 0 && z < header.depth, "slice \(z) is outside the volume")
        let slot = try cacheSlot(for: z)
        let bytes = cache[slot].bytes
        switch header.voxelType {
        case .uint8:
            rasterizer.fill(polygons, value: UInt8(truncatingIfNeeded: value), into: bytes.bindMemory(to: UInt8.self))
        case .uint16:
            rasterizer.fill(polygons, value: UInt16(truncatingIfNeeded: value), into: bytes.bindMemory(to: UInt16.self))
        case .uint32:
            rasterizer.fill(polygons, value: UInt32(truncatingIfNeeded: value), into: bytes.bindMemory(to: UInt32.self))
        }
        cache[slot].dirty = true
    }

    /// Writes out what is cached and, for `.nii.gz`, compresses the volume into `path`
    /// (`level` 1 fastest to 9 smallest).
    public func finish(compressionLevel level: Int32 = 6) throws {
        guard !finished else { return }
        finished = true
        for index in cache.indices { try writeBack(index) }
        if compressed { try compress(level: level) }
        try output.replace(path)
        complete = true
    }

    private func compress(level: Int32) throws {
        let gzip = try GzipWriter(writingTo: output, level: level)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        let total = NiftiHeader.voxelOffset + header.volumeBytes
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
        clock += 1
        if let slot = cache.firstIndex(where: { $0.z == z }) {
            cache[slot].lastUse = clock
            return slot
        }
        let slot: Int
        if cache.count < cachedSlices {
            cache.append(CachedSlice(z: z, bytes: .allocate(byteCount: sliceBytes, alignment: 16), dirty: false, lastUse: clock))
            slot = cache.count - 1
        } else {
            slot = cache.indices.min { cache[$0].lastUse < cache[$1].lastUse }!
            try writeBack(slot)
            cache[slot].z = z
            cache[slot].lastUse = clock
        }
        if written[z] {
            sliceReloads += 1
            try volume.read(into: cache[slot].bytes, at: offset(of: z))
        } else {
            cache[slot].bytes.initializeMemory(as: UInt8.self, repeating: 0)
        }
        return slot
    }

    private func writeBack(_ slot: Int) throws {
        guard cache[slot].dirty else { return }
        try volume.write(UnsafeRawBufferPointer(cache[slot].bytes), at: offset(of: cache[slot].z))
        written[cache[slot].z] = true
        cache[slot].dirty = false
    }

    private func offset(of z: Int) -> Int { NiftiHeader.voxelOffset + z * sliceBytes }
}
