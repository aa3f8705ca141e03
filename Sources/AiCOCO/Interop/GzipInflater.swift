// zlib's inflate over a gzip input, one output buffer at a time.
import CZlib

/// Inflates the members of a gzip input, one after the other, into the buffers it is given.
/// Used by one thread at a time (the inflating thread, or the reader itself for a small input).
final class GzipInflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let source: ChunkReader
    private let input: UnsafeMutableRawBufferPointer
    private var started = false
    private var prefix: [UInt8]
    /// Compressed bytes read from the source, decompressed bytes handed out so far.
    private(set) var compressed = 0
    private var decompressed = 0
    private var atEnd = false
    private var inMember = false
    private var ended = false
    /// Zero bytes after the last member (a block device or a padded tape): ignored, as gzip does.
    private(set) var trailingZeros = 0

    /// What `fill` did: the bytes it put in the buffer, and whether the input is over (with the
    /// failure that ended it, if any).
    struct Outcome {
        var count: Int
        var ended: Bool
        var failure: DocumentError?
    }

    /// Inflates `source`, whose first bytes `prefix` were already read from it.
    init(source: ChunkReader, prefix: [UInt8], inputSize: Int = 128 << 10) {
        self.source = source
        self.prefix = prefix
        input = .allocate(byteCount: inputSize, alignment: 16)
        stream.initialize(to: z_stream())
    }

    deinit {
        if started { inflateEnd(stream) }
        stream.deallocate()
        input.deallocate()
    }

    /// Fills `buffer` with the next inflated bytes: whole unless the input ends or fails first.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Outcome {
        guard !ended else { return Outcome(count: 0, ended: true) }
        if !started {
            let status = aicoco_inflate_init_gzip(stream)
            guard status == Z_OK else {
                return end(0, .io("zlib could not start reading a gzip stream (error \(status))"))
            }
            started = true
            prefix.withUnsafeBytes { input.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(prefix.count)
            compressed = prefix.count
        }
        var produced = 0
        func failure(_ message: String) -> DocumentError {
            DocumentError(kind: .compression, message: message, path: "$",
                        location: SourceLocation(offset: decompressed + produced, line: 0, column: 0))
        }
        while produced < buffer.count {
            if stream.pointee.avail_in == 0 && !atEnd {
                let count: Int
                do { count = try source.read(into: input) } catch let error as DocumentError {
                    return end(produced, error)
                } catch {
                    return end(produced, .io("cannot read the compressed input: \(error)"))
                }
                if count == 0 {
                    atEnd = true
                } else {
                    compressed += count
                    stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_in = uInt(count)
                }
            }
            if !inMember && stream.pointee.avail_in > 0 && stream.pointee.next_in[0] == 0 {
                // Between members: zeros. Padding, when only zeros follow to the end.
                var zeros = 0
                let available = Int(stream.pointee.avail_in)
                while zeros < available && stream.pointee.next_in[zeros] == 0 { zeros += 1 }
                stream.pointee.next_in += zeros
                stream.pointee.avail_in -= uInt(zeros)
                trailingZeros += zeros
                if stream.pointee.avail_in == 0 { continue }
            }
            if atEnd && !inMember { return end(produced, nil) }
            if stream.pointee.avail_in > 0 {
                if trailingZeros > 0 {
                    let offset = compressed - Int(stream.pointee.avail_in) - trailingZeros
                    return end(produced, failure("corrupt compressed data at compressed byte \(offset) (after a member: \(trailingZeros) zero bytes, then more data)"))
                }
                inMember = true
            }
            let room = buffer.count - produced
            stream.pointee.next_out = (buffer.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(room)
            let status = inflate(stream, Z_NO_FLUSH)
            let made = room - Int(stream.pointee.avail_out)
            produced += made
            let offset = compressed - Int(stream.pointee.avail_in)
            switch status {
            case Z_STREAM_END:
                inflateReset(stream)
                inMember = false
            case Z_OK, Z_BUF_ERROR:
                if atEnd && stream.pointee.avail_in == 0 && made == 0 {
                    return end(produced, failure("the compressed stream ends early: the gzip input is cut short at compressed byte \(offset) (its end), inside a member"))
                }
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                return end(produced, failure("corrupt compressed data at compressed byte \(offset) (zlib: \(reason))"))
            }
        }
        decompressed += produced
        return Outcome(count: produced, ended: false)
    }

    private func end(_ produced: Int, _ failure: DocumentError?) -> Outcome {
        ended = true
        decompressed += produced
        return Outcome(count: produced, ended: true, failure: failure)
    }
}
