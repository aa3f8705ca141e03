// The C error number as a typed value, and the one place a system call is retried when a
// signal interrupts it (modelled on swift-system's `Errno` and `valueOrErrno`).
import Glibc

/// What a failed system call said (`errno`), as a typed value.
public struct Errno: RawRepresentable, Error, Hashable, Sendable, CustomStringConvertible {
    /// The C error number.
    public let rawValue: Int32

    /// The error of C error number `rawValue`.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno` now.
    static var current: Errno { Errno(rawValue: errno) }

    /// A signal interrupted the call (`EINTR`).
    public static let interrupted = Errno(rawValue: EINTR)
    /// The reader of a pipe went away (`EPIPE`).
    public static let brokenPipe = Errno(rawValue: EPIPE)
    /// The operation is not supported (`EOPNOTSUPP`).
    static let notSupported = Errno(rawValue: EOPNOTSUPP)
    /// The path is a directory (`EISDIR`).
    static let isDirectory = Errno(rawValue: EISDIR)
    /// An argument is invalid (`EINVAL`).
    static let invalidArgument = Errno(rawValue: EINVAL)

    /// The C library's text for the error (`strerror`), e.g. "No such file or directory".
    public var description: String { String(cString: strerror(rawValue)) }
}

/// The result of `call`, a system call that returns -1 and sets `errno` on failure; with
/// `retryOnInterrupt`, the call is made again while a signal interrupts it.
@inline(__always)
func valueOrErrno<Value: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ call: () -> Value) -> Result<Value, Errno> {
    while true {
        let value = call()
        if value != -1 { return .success(value) }
        let error = Errno.current
        if !retryOnInterrupt || error != .interrupted { return .failure(error) }
    }
}

/// `valueOrErrno` for a call whose success carries no value.
@inline(__always)
func nothingOrErrno<Value: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ call: () -> Value) -> Result<Void, Errno> {
    valueOrErrno(retryOnInterrupt: retryOnInterrupt, call).map { _ in () }
}

extension DocumentError {
    /// An I/O error: "`what`: the system's reason", carrying the error number.
    static func io(_ what: String, _ error: Errno) -> DocumentError {
        var failure = DocumentError.io("\(what): \(error)")
        failure.errno = error
        return failure
    }
}
