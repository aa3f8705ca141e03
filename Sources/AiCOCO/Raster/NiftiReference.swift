/// The geometry of a NIfTI-1 or NIfTI-2 scan (`.nii` or `.nii.gz`, either byte order): its
/// size and where its voxels lie, for a label volume that overlays it voxel for voxel.
public struct NiftiReference: Sendable, Equatable {
    /// The scan's path.
    public var path: String
    /// `dim[1...3]`: columns, rows, slices.
    public var width: Int, height: Int, depth: Int
    /// Where its voxels lie.
    public var geometry: NiftiGeometry

    /// Reads the header of `path`. Throws `LabelVolumeError` when it is not a NIfTI of at
    /// least 3 dimensions.
    public init(path: String) throws {
        self.path = path
        let bytes = try readFilePrefix(path, count: 540)
        func bad(_ why: String) -> LabelVolumeError { LabelVolumeError(.usage, "--reference \(path): \(why)") }
        guard bytes.count >= 348 else { throw bad("not a NIfTI file (\(bytes.count) bytes)") }
        var fields = FieldReader(bytes: bytes, bigEndian: false)
        let size = fields.int32(0)
        if size != 348 && size != 540 { fields.bigEndian = true }
        let nifti2: Bool
        switch fields.int32(0) {
        case 348: nifti2 = false
        case 540 where bytes.count >= 540: nifti2 = true
        default: throw bad("not a NIfTI-1 or NIfTI-2 header")
        }
        let dims: [Int], pixdim: [Double]
        if nifti2 {
            dims = (0..<8).map { fields.int64(16 + 8 * $0) }
            pixdim = (0..<8).map { fields.float64(104 + 8 * $0) }
            geometry = NiftiGeometry(spacing: Array(pixdim[1...3]), qfac: pixdim[0] < 0 ? -1 : 1,
                                     qformCode: fields.int32(344), sformCode: fields.int32(348),
                                     transformsFrom: 352, size: 8, fields.float64, units: fields.int32(500) & 0x07)
        } else {
            dims = (0..<8).map { fields.int16(40 + 2 * $0) }
            pixdim = (0..<8).map { fields.float32(76 + 4 * $0) }
            geometry = NiftiGeometry(spacing: Array(pixdim[1...3]), qfac: pixdim[0] < 0 ? -1 : 1,
                                     qformCode: fields.int16(252), sformCode: fields.int16(254),
                                     transformsFrom: 256, size: 4, fields.float32, units: Int(bytes[123]) & 0x07)
        }
        guard dims[0] >= 3 && dims[0] <= 7, dims[1...3].allSatisfy({ $0 >= 1 }) else {
            throw bad("its dimensions \(dims) are not those of a 3D volume")
        }
        guard pixdim[1...3].allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw bad("its voxel size \(Array(pixdim[1...3])) is not three positive numbers")
        }
        guard (geometry.quaternion + geometry.qoffset + geometry.sform.flatMap { $0 }).allSatisfy(\.isFinite) else {
            throw bad("its qform or sform holds numbers that are not finite")
        }
        (width, height, depth) = (dims[1], dims[2], dims[3])
    }
}

/// Reads the header's fields in its byte order.
private struct FieldReader {
    let bytes: [UInt8]
    var bigEndian: Bool

    private func unsigned(_ offset: Int, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<count {
            let byte = UInt64(bytes[offset + (bigEndian ? i : count - 1 - i)])
            value = value << 8 | byte
        }
        return value
    }

    func int16(_ offset: Int) -> Int { Int(Int16(truncatingIfNeeded: unsigned(offset, 2))) }
    func int32(_ offset: Int) -> Int { Int(Int32(truncatingIfNeeded: unsigned(offset, 4))) }
    func int64(_ offset: Int) -> Int { Int(Int64(bitPattern: unsigned(offset, 8))) }
    func float32(_ offset: Int) -> Double { Double(Float(bitPattern: UInt32(truncatingIfNeeded: unsigned(offset, 4)))) }
    func float64(_ offset: Int) -> Double { Double(bitPattern: unsigned(offset, 8)) }
}

/// Why a label volume cannot be made: `input` problems are the AiCOCO file's (exit 1),
/// `usage` ones the options' or the reference's (exit 2).
public struct LabelVolumeError: Error, Sendable, CustomStringConvertible {
    /// The AiCOCO file's fault (exit 1), or the options' (exit 2).
    public enum Kind: Sendable { case input, usage }
    /// Whose fault it is.
    public let kind: Kind
    /// The message.
    public let description: String
    /// An error of `kind`.
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
