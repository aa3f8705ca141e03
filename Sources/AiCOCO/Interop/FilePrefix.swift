// The first bytes of a file, gzip-compressed or not (zlib's gzread reads both).
import CZlib
import Glibc

/// Up to `count` bytes from the start of `path`, decompressed when it is gzip.
func readFilePrefix(_ path: String, count: Int) throws -> [UInt8] {
    guard let file = gzopen(path, "rb") else {
        throw DocumentError.io("cannot open \(path)", Errno.current)
    }
    defer { gzclose(file) }
    var bytes = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
        let read = bytes.withUnsafeMutableBytes { gzread(file, $0.baseAddress! + done, UInt32(count - done)) }
        if read < 0 { throw DocumentError.io("cannot read \(path): it is not a readable file (or a damaged gzip)") }
        if read == 0 { break }
        done += Int(read)
    }
    return Array(bytes[0..<done])
}

/// Bytes free for an unprivileged user on the file system holding `directory`, or nil when unknown.
func availableDiskBytes(in directory: String) -> Int? {
    var info = statvfs()
    guard statvfs(directory.isEmpty ? "." : directory, &info) == 0 else { return nil }
    let (bytes, overflow) = Int(info.f_bavail).multipliedReportingOverflow(by: Int(info.f_frsize))
    return overflow ? Int.max : bytes
}

/// `$TMPDIR`, else `/tmp`: where temporary files go.
func temporaryDirectory() -> String {
    if let tmp = getenv("TMPDIR"), tmp[0] != 0 { return String(cString: tmp) }
    return "/tmp"
}
