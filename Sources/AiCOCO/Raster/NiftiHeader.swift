/// Where a volume's voxels lie in space: the NIfTI qform and sform, spacing and units. Taken
/// as it is from a reference scan (`NiftiReference`), or made from a voxel size alone.
public struct NiftiGeometry: Sendable, Equatable {
    /// `pixdim[1...3]`: voxel size along x, y, z.
    public var spacing: [Double]
    /// `pixdim[0]`: the qform's handedness, 1 or -1.
    public var qfac: Double = 1
    /// `qform_code` and `sform_code` (1: scanner coordinates).
    public var qformCode = 1, sformCode = 1
    /// `quatern_b`, `quatern_c`, `quatern_d`.
    public var quaternion: [Double] = [0, 0, 0]
    /// `qoffset_x`, `qoffset_y`, `qoffset_z`.
    public var qoffset: [Double] = [0, 0, 0]
    /// `srow_x`, `srow_y`, `srow_z`: the sform's three rows of four.
    public var sform: [[Double]]
    /// `xyzt_units` (2: millimetres).
    public var units = 2

    /// The identity scaled by `spacing`, origin 0 (qform and sform both say so).
    public init(spacing: (x: Double, y: Double, z: Double)) {
        self.spacing = [spacing.x, spacing.y, spacing.z]
        sform = [[spacing.x, 0, 0, 0], [0, spacing.y, 0, 0], [0, 0, spacing.z, 0]]
    }

    /// A geometry from the header fields, as a reference scan gives them.
    public init(spacing: [Double], qfac: Double, qformCode: Int, sformCode: Int, quaternion: [Double],
                qoffset: [Double], sform: [[Double]], units: Int) {
        self.spacing = spacing
        self.qfac = qfac
        self.qformCode = qformCode
        self.sformCode = sformCode
        self.quaternion = quaternion
        self.qoffset = qoffset
        self.sform = sform
        self.units = units
    }

    /// A geometry from a header's fields, the quaternion, its offset and the sform read by
    /// `float` where `forEachTransformValue` places them.
    init(spacing: [Double], qfac: Double, qformCode: Int, sformCode: Int, transformsFrom start: Int, size: Int,
         _ float: (Int) -> Double, units: Int) {
        let values = (0..<18).map { float(start + size * $0) }
        self.init(spacing: spacing, qfac: qfac, qformCode: qformCode, sformCode: sformCode, quaternion: Array(values[0..<3]),
                  qoffset: Array(values[3..<6]), sform: (0..<3).map { Array(values[(6 + 4 * $0)..<(10 + 4 * $0)]) }, units: units)
    }

    /// The quaternion, its offset and the sform's rows, one after the other as a header holds
    /// them from byte `start`, `size` bytes each: `body(value, offset)` for each.
    func forEachTransformValue(from start: Int, size: Int, _ body: (Double, Int) -> Void) {
        for (i, value) in (quaternion + qoffset + sform.joined()).enumerated() { body(value, start + size * i) }
    }

    /// The voxel-to-world affine a reader takes (nibabel: the sform when its code is set, else the qform).
    public var affine: [[Double]] {
        if sformCode > 0 { return sform + [[0, 0, 0, 1]] }
        let (b, c, d) = (quaternion[0], quaternion[1], quaternion[2])
        let a = (max(0, 1 - (b * b + c * c + d * d))).squareRoot()
        let r = [[a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
                 [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
                 [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b]]
        let scale = [spacing[0], spacing[1], spacing[2] * (qfac < 0 ? -1 : 1)]
        return (0..<3).map { i in (0..<3).map { r[i][$0] * scale[$0] } + [qoffset[i]] } + [[0, 0, 0, 1]]
    }
}

/// The header of a single-file label volume: NIfTI-1 (348 bytes) while every size fits its
/// 16-bit dimensions, NIfTI-2 (540 bytes, 64-bit dimensions) past 32767; then the 4 bytes that
/// say no extension follows. Voxels follow little-endian, x fastest, then y, z, then channel.
public struct NiftiHeader: Sendable, Equatable {
    /// Voxel types a label volume uses (NIfTI `datatype` codes).
    public enum VoxelType: Int16, Sendable, CaseIterable {
        /// `DT_UINT8`.
        case uint8 = 2
        /// `DT_UINT16`.
        case uint16 = 512
        /// `DT_UINT32`.
        case uint32 = 768

        /// Bytes per voxel.
        public var size: Int {
            switch self {
            case .uint8: 1
            case .uint16: 2
            case .uint32: 4
            }
        }

        /// The smallest type that holds labels up to `maximum`.
        public static func holding(_ maximum: Int) -> VoxelType {
            maximum <= Int(UInt8.max) ? .uint8 : maximum <= Int(UInt16.max) ? .uint16 : .uint32
        }
    }

    /// `dim[1...3]`: columns, rows, slices.
    public var width: Int, height: Int, depth: Int
    /// The 4th dimension: one channel per label of a multi-label volume, else 1.
    public var channels = 1
    /// The voxels' type.
    public var voxelType: VoxelType
    /// Where the voxels lie.
    public var geometry: NiftiGeometry
    /// Largest label (the `cal_max` display hint).
    public var maximumLabel: Int
    /// `descrip` (at most 79 bytes are written).
    public var description: String

    /// The largest size NIfTI-1's 16-bit dimensions hold.
    public static let nifti1Limit = Int(Int16.max)

    /// A header with the given geometry.
    public init(width: Int, height: Int, depth: Int, channels: Int = 1, voxelType: VoxelType,
                geometry: NiftiGeometry, maximumLabel: Int = 0, description: String = "") {
        self.width = width
        self.height = height
        self.depth = depth
        self.channels = channels
        self.voxelType = voxelType
        self.geometry = geometry
        self.maximumLabel = maximumLabel
        self.description = description
    }

    /// A header whose geometry is the identity scaled by `spacing`.
    public init(width: Int, height: Int, depth: Int, voxelType: VoxelType,
                spacing: (x: Double, y: Double, z: Double) = (1, 1, 1), maximumLabel: Int = 0, description: String = "") {
        self.init(width: width, height: height, depth: depth, voxelType: voxelType,
                  geometry: NiftiGeometry(spacing: spacing), maximumLabel: maximumLabel, description: description)
    }

    /// NIfTI-2 when a dimension is past NIfTI-1's 32767.
    public var isNifti2: Bool { max(width, height, depth, channels) > Self.nifti1Limit }

    /// Byte offset of the first voxel: 352 (NIfTI-1) or 544 (NIfTI-2).
    public var voxelOffset: Int { isNifti2 ? 544 : 352 }

    /// Bytes of one slice.
    public var sliceBytes: Int { width * height * voxelType.size }

    /// Bytes of the voxels after the header.
    public var volumeBytes: Int { sliceBytes * depth * channels }

    /// The header and the empty extension flag: `voxelOffset` bytes.
    public var bytes: [UInt8] {
        var out = HeaderBytes(count: voxelOffset)
        let g = geometry
        let dims = [channels > 1 ? 4 : 3, width, height, depth, channels, 1, 1, 1]
        let pixdim = [g.qfac, g.spacing[0], g.spacing[1], g.spacing[2], 0, 0, 0, 0]
        let text = Array(description.utf8.prefix(79))
        if isNifti2 {
            out.int32(540, at: 0)                               // sizeof_hdr
            out.text(Array("n+2\0\r\n\u{1A}\n".utf8), at: 4)    // magic
            out.int16(Int(voxelType.rawValue), at: 12)          // datatype
            out.int16(voxelType.size * 8, at: 14)               // bitpix
            for (i, dim) in dims.enumerated() { out.int64(dim, at: 16 + 8 * i) }
            for (i, value) in pixdim.enumerated() { out.float64(value, at: 104 + 8 * i) }
            out.int64(voxelOffset, at: 168)                     // vox_offset
            out.float64(1, at: 176)                             // scl_slope
            out.float64(Double(maximumLabel), at: 192)          // cal_max
            out.text(text, at: 240)                             // descrip
            out.int32(g.qformCode, at: 344)
            out.int32(g.sformCode, at: 348)
            g.forEachTransformValue(from: 352, size: 8) { out.float64($0, at: $1) }
            out.int32(g.units, at: 500)                         // xyzt_units
            out.int32(1002, at: 504)                            // intent_code: NIFTI_INTENT_LABEL
            out.text(Array("labels".utf8), at: 508)             // intent_name
        } else {
            out.int32(348, at: 0)                               // sizeof_hdr
            out.bytes[38] = UInt8(ascii: "r")                   // regular
            for (i, dim) in dims.enumerated() { out.int16(dim, at: 40 + 2 * i) }
            out.int16(1002, at: 68)                             // intent_code: NIFTI_INTENT_LABEL
            out.int16(Int(voxelType.rawValue), at: 70)          // datatype
            out.int16(voxelType.size * 8, at: 72)               // bitpix
            for (i, value) in pixdim.enumerated() { out.float32(value, at: 76 + 4 * i) }
            out.float32(Double(voxelOffset), at: 108)           // vox_offset
            out.float32(1, at: 112)                             // scl_slope (labels are stored as they are)
            out.bytes[123] = UInt8(truncatingIfNeeded: g.units) // xyzt_units
            out.float32(Double(maximumLabel), at: 124)          // cal_max
            out.text(text, at: 148)                             // descrip
            out.int16(g.qformCode, at: 252)
            out.int16(g.sformCode, at: 254)
            g.forEachTransformValue(from: 256, size: 4) { out.float32($0, at: $1) }
            out.text(Array("labels".utf8), at: 328)             // intent_name
            out.text(Array("n+1\0".utf8), at: 344)              // magic
        }
        return out.bytes
    }
}

/// Little-endian fields written into a zeroed header.
private struct HeaderBytes {
    var bytes: [UInt8]

    init(count: Int) { bytes = [UInt8](repeating: 0, count: count) }

    mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { for (i, byte) in $0.enumerated() { bytes[offset + i] = byte } }
    }

    mutating func int16(_ value: Int, at offset: Int) { put(Int16(clamping: value), at: offset) }
    mutating func int32(_ value: Int, at offset: Int) { put(Int32(clamping: value), at: offset) }
    mutating func int64(_ value: Int, at offset: Int) { put(Int64(value), at: offset) }
    mutating func float32(_ value: Double, at offset: Int) { put(Float(value).bitPattern, at: offset) }
    mutating func float64(_ value: Double, at offset: Int) { put(value.bitPattern, at: offset) }
    mutating func text(_ text: [UInt8], at offset: Int) {
        for (i, byte) in text.enumerated() { bytes[offset + i] = byte }
    }
}
