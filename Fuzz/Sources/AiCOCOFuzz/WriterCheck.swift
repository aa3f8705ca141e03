// The invariant of the writing subcommands (issue 25 item 6): each one's verdict on an input
// agrees with `validate`'s (see Harness.swift).
@_spi(Testing) import AiCOCO

#if canImport(Glibc)
import Glibc
#endif

/// How a writing subcommand's library call ended.
enum WriterVerdict {
    case success
    /// Refused the input: an `DocumentError` that is not an I/O error, or one of the documented
    /// "nothing to do" answers.
    case refused(String)
    /// Declined for a reason of the pixel commands' own (no polygons, an unknown image size, a
    /// slice or volume too large, overlapping labels), after reading the document.
    case declined(String)
    /// Anything else: an internal error (e.g. the JSON writer refusing a number).
    case broken(String)
}

func verdict(_ body: () throws -> Void) -> WriterVerdict {
    do {
        try body()
        return .success
    } catch let error as DocumentError where error.kind != .io {
        return .refused("\(error.kind): \(error.message)")
    } catch let error as DocumentError {
        return .broken("\(error.kind): \(error.message)")
    } catch is NothingToDoForTabular {
        return .refused("tabular")
    } catch is DocumentFilter.NothingMatched {
        return .refused("nothing matched")
    } catch is DocumentAssembler.ArtifactNeeded {
        return .refused("artifact needed")
    } catch let error as SegmentationError {
        return .declined(error.description)
    } catch let error as LabelVolumeError {
        return .declined(error.description)
    } catch let error as SegmentationMeasure.NoSegmentation {
        return .declined(error.description)
    } catch {
        return .broken("\(error)")
    }
}

/// Each writing subcommand's verdict on `bytes` against validate's (`valid`).
func compareWriters(_ bytes: UnsafeBufferPointer<UInt8>, options validating: DocumentParsing.Options, valid: Bool) {
    let document = Array(bytes)
    // As the visitor parse: the document alone (a fuzz input has no records artifact beside it).
    var options = validating
    options.recordsArtifact = .skip
    var lines: [UInt8] = []
    var linesComplete = false
    let writers: [(String, () throws -> Void)] = [
        ("convert --to coco", {
            _ = try COCOConverter(parserOptions: options, imageSize: (64, 64)).convert(.bytes(document), to: JSONWriter(sink: { _ in }))
        }),
        ("records", {
            let reader = RecordLines(.bytes(document), options: RecordReader.Options(parser: options), envelope: true)
            while try reader.next({ text, _ in lines.append(contentsOf: text) }) {}
            if let problem = reader.problems.first { throw problem }
            linesComplete = true
        }),
        ("filter", {
            let criteria = DocumentFilter.Criteria(indexRanges: [-Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude])
            _ = try DocumentFilter(criteria: criteria, parserOptions: options)
                .filter(passes: { .bytes(document) }, to: DocumentWriter(sink: { _ in }))
        }),
        // Areas and extents: a slice buffer of 1 KiB, so that both the canvas and the runs are used.
        ("measure", {
            let result = try SegmentationMeasure(imageSize: (64, 64), parserOptions: options, sliceBufferBytes: 1 << 10)
                .measure(.bytes(document))
            let rows = try result.slices()
            while try rows.next() != nil {}
        }),
        // Slices of at most 16 KiB, so that a volume stays small on disk.
        ("convert --to nifti", {
            let path = "/tmp/aicoco-fuzz-nifti-\(getpid()).nii"
            defer { unlink(path) }
            var converter = LabelVolumeConverter(imageSize: (64, 64), parserOptions: options)
            converter.cacheBytes = 32 << 10
            _ = try converter.convert(passes: { .bytes(document) }, to: path)
        }),
    ]
    for (name, body) in writers {
        let outcome = verdict(body)
        switch (valid, outcome) {
        case (_, .broken(let reason)):
            fail("\(name) failed with an internal error on a document validate calls \(valid ? "valid" : "invalid"): \(reason)", bytes)
        case (true, .refused(let reason)) where !reason.hasPrefix("limit") && reason != "tabular" && reason != "nothing matched":
            fail("\(name) refused a document validate calls valid: \(reason)", bytes)
        case (false, .success):
            fail("\(name) succeeded on a document validate rejects", bytes)
        case (true, .declined):
            // The pixel commands' own reasons come once the document has been read as valid.
            guard name == "measure" || name == "convert --to nifti" else { fail("\(name) declined a valid document", bytes) }
        default:
            break
        }
    }
    // assemble reads the lines `records` wrote back into a document: as valid as the input.
    guard valid, linesComplete, !lines.isEmpty else { return }
    let outcome = verdict {
        var assembleOptions = options
        assembleOptions.validate = true
        try DocumentAssembler(parserOptions: assembleOptions).assemble(.bytes(lines), to: DocumentWriter(sink: { _ in }))
    }
    switch outcome {
    case .success: break
    case .refused(let reason) where reason.hasPrefix("limit") || reason == "artifact needed": break
    case .refused(let reason), .broken(let reason), .declined(let reason):
        fail("assemble of the lines of a valid document failed: \(reason)", bytes)
    }
}
