// gzip through zlib (deflate with a gzip header and trailer), written to a file or a sink.
import CZlib
import Glibc

/// Compresses what it is given into a gzip file. Holds one output buffer; call `finish()` once.
final class GzipWriter {
    private var stream = z_stream()
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let buffer: UnsafeMutableRawBufferPointer
    private var finished = false

    /// `level` 1 (fastest) to 9 (smallest); zlib's default is 6.
    convenience init(writingTo output: RandomAccessFile, level: Int32 = 6) throws {
        var offset = 0
        try self.init(level: level) { bytes in
            try output.write(bytes, at: offset)
            offset += bytes.count
        }
    }

    /// Hands the compressed bytes to `sink` as they come.
    init(level: Int32 = 6, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.sink = sink
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        let status = aicoco_deflate_init_gzip(&stream, level)
        guard status == Z_OK else {
            buffer.deallocate()
            throw DocumentError.io("zlib could not start a gzip stream (error \(status))")
        }
    }

    deinit {
        deflateEnd(&stream)
        buffer.deallocate()
    }

    /// Compresses `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(bytes.count)
        while stream.avail_in > 0 { try run(Z_NO_FLUSH) }
    }

    /// Ends the stream (gzip trailer) and writes what is left.
    func finish() throws {
        guard !finished else { return }
        finished = true
        stream.next_in = nil
        stream.avail_in = 0
        while try run(Z_FINISH) != Z_STREAM_END {}
    }

    @discardableResult
    private func run(_ flush: Int32) throws -> Int32 {
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(buffer.count)
        let status = deflate(&stream, flush)
        guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
            throw DocumentError.io("zlib failed while compressing (error \(status))")
        }
        let produced = buffer.count - Int(stream.avail_out)
        if produced > 0 { try sink(UnsafeRawBufferPointer(rebasing: buffer[0..<produced])) }
        return status
    }
}
