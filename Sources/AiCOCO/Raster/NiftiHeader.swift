/// The 348-byte NIfTI-1 header of a single-file (`.nii`) label volume, plus the 4 bytes that say
/// no extension follows: the voxels start at byte 352, x fastest, then y, then z, little-endian.
public struct NiftiHeader: Sendable, Equatable {
    /// Voxel types a label volume uses (NIfTI `datatype` codes).
    public enum VoxelType: Int16, Sendable, CaseIterable {
        case uint8 = 2
        case uint16 = 512
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

    public var width: Int, height: Int, depth: Int
    public var voxelType: VoxelType
    /// Voxel size in millimetres (x, y, z).
    public var spacing: (x: Double, y: Double, z: Double)
    /// Largest label (the `cal_max` display hint).
    public var maximumLabel: Int
    public var description: String

    /// Byte offset of the first voxel.
    public static let voxelOffset = 352

    public init(width: Int, height: Int, depth: Int, voxelType: VoxelType,
                spacing: (x: Double, y: Double, z: Double) = (1, 1, 1), maximumLabel: Int = 0, description: String = "") {
        self.width = width
        self.height = height
        self.depth = depth
        self.voxelType = voxelType
        self.spacing = spacing
        self.maximumLabel = maximumLabel
        self.description = description
    }

    public static func == (a: NiftiHeader, b: NiftiHeader) -> Bool {
        a.width == b.width && a.height == b.height && a.depth == b.depth && a.voxelType == b.voxelType
            && a.spacing == b.spacing && a.maximumLabel == b.maximumLabel && a.description == b.description
    }

    /// Bytes of the voxels after the header.
    public var volumeBytes: Int { width * height * depth * voxelType.size }

    /// The header and the empty extension flag: `voxelOffset` bytes.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.voxelOffset)
        func int32(_ value: Int32, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { for (i, byte) in $0.enumerated() { out[offset + i] = byte } }
        }
        func int16(_ value: Int16, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { for (i, byte) in $0.enumerated() { out[offset + i] = byte } }
        }
        func float32(_ value: Double, at offset: Int) {
            int32(Int32(bitPattern: Float(value).bitPattern), at: offset)
        }
        int32(348, at: 0)                                   // sizeof_hdr
        out[38] = UInt8(ascii: "r")                         // regular
        let dims = [3, width, height, depth, 1, 1, 1, 1]
        for (i, dim) in dims.enumerated() { int16(Int16(clamping: dim), at: 40 + 2 * i) }
        int16(1002, at: 68)                                 // intent_code: NIFTI_INTENT_LABEL
        int16(voxelType.rawValue, at: 70)                   // datatype
        int16(Int16(voxelType.size * 8), at: 72)            // bitpix
        let pixdim = [1, spacing.x, spacing.y, spacing.z, 0, 0, 0, 0]   // pixdim[0]: qfac
        for (i, value) in pixdim.enumerated() { float32(value, at: 76 + 4 * i) }
        float32(Double(Self.voxelOffset), at: 108)          // vox_offset
        float32(1, at: 112)                                 // scl_slope (labels are stored as they are)
        out[123] = 2                                        // xyzt_units: millimetres
        float32(Double(maximumLabel), at: 124)              // cal_max
        let text = Array(description.utf8.prefix(79))
        for (i, byte) in text.enumerated() { out[148 + i] = byte }  // descrip
        int16(1, at: 252)                                   // qform_code: scanner (identity rotation)
        int16(1, at: 254)                                   // sform_code: the same affine, spelled out
        float32(spacing.x, at: 280)                         // srow_x
        float32(spacing.y, at: 296 + 4)                     // srow_y
        float32(spacing.z, at: 312 + 8)                     // srow_z
        for (i, byte) in "labels".utf8.enumerated() { out[328 + i] = byte }  // intent_name
        for (i, byte) in "n+1\0".utf8.enumerated() { out[344 + i] = byte }   // magic
        return out
    }
}
