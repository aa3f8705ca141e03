/// The end of the input: what is left is read, the document's end is checked, then the
/// references between sections; and what the engine knows once it has ended.
extension DocumentEngine {
    /// Ends the input. `checkingReferences` false leaves the reference problems for
    /// `finishReferences` (after a tabular output's artifact, whose records refer to the document).
    mutating func finish(checkingReferences: Bool = true) throws {
        if let failure { throw failure }
        if options.allowNonFinite && !held.nonFiniteCarry.isEmpty {
            try feed(UnsafeBufferPointer(start: nil, count: 0), final: true)
        }
        if !held.tokenTail.isEmpty {
            let tail = held.tokenTail
            held.tokenTail = []
            try tail.withUnsafeBufferPointer { try feedRaw($0) }
        }
        try feedHeld(holdAgain: false)
        if case .coordinates(let state) = scan {
            if let number = state.number, number.dropped { throw stopped(endInsideDroppedNumber(number)) }
            // The input ends inside a polygon: yajl reads what is left and reports the end.
            try handBack(resumeIn: nil)
        }
        if case .records = scan { try handBack(resumeIn: nil) }
        completing = true
        do {
            try checkStrictText()
        } catch {
            throw stopped(error.error)
        }
        let lexer = self.lexer
        switch lexer.complete(with: &self) {
        case .ok:
            break
        case .stopped(let stop):
            throw stopped(stop.error)
        case .syntaxError(let message, _) where faultAtEnd(message) == .trailingGarbage:
            // A number after the document, ended by the input's end: placed on its first byte.
            let start = places.nextTokenFrom
            let byte = start < places.bytesFed ? places.nextTokenByte : nil
            let location = places.tracker.location(of: min(start, places.bytesFed))
            throw stopped(DocumentError(kind: .syntax, message: SyntaxFault.trailingGarbage.message(found: found(byte)),
                                      path: currentPath(), location: location))
        case .syntaxError(let message, _):
            let end = places.tracker.location(of: places.bytesFed)
            // A value cut short (`-`, `"abc`, `tru`) is not an empty input, even at the top level.
            let text = outline.documentStarted || places.nextTokenFrom < places.bytesFed
                ? "unexpected end of input (\(faultAtEnd(message).yajlText.replacingOccurrences("parse error: ", with: "")))"
                : "empty input: no JSON value"
            throw stopped(DocumentError(kind: .syntax, message: text, path: currentPath(), location: end))
        }
        if checkingReferences { try finishReferences(artifact: nil) }
    }

    /// Reports the reference problems (the checker joins its tables at the end). Those in the
    /// records of a tabular output's artifact (paths `$[i]...`) are placed in `artifact`.
    mutating func finishReferences(artifact: String?) throws {
        guard let checker else { return }
        do {
            try checker.finish { error in
                var error = error
                if let artifact, error.path.hasPrefix("$[") { error.file = artifact }
                try delegate.engineProblem(error)
            }
        } catch let error as DocumentError where error.kind == .io {
            throw stopped(error)
        }
    }

    /// Where the input fed so far ends, and the JSON path there (for a failure of the input itself).
    mutating func endOfInput() -> (SourceLocation, String) {
        (places.tracker.location(of: places.bytesFed), currentPath())
    }

    /// What the records artifact of a tabular output needs, once the document has ended well:
    /// its reference, `meta.window_size`, and the checker that knows the document's ids.
    var tabularArtifact: (reference: RecordsReference, windowSize: Int?, checker: ReferenceChecker?)? {
        guard outline.documentKind == .tabular, let reference = outline.recordsReference else { return nil }
        return (reference, outline.windowSize, checker)
    }

    /// The document's kind and form of records, once it has ended with the keys of a kind.
    var documentForm: DocumentForm? {
        guard let kind = outline.documentKind else { return nil }
        return DocumentForm(kind: kind, records: kind == .tabular ? outline.recordsForm : nil)
    }
}

extension EngineStop {
    /// The error a stop that reached the end of a parse stands for.
    var error: any Error {
        switch self {
        case .failed(let error): error
        case .takeOver: DocumentError(kind: .syntax, message: "unexpected end of input", path: "$",
                                    location: SourceLocation(offset: 0, line: 1, column: 1))
        }
    }
}
