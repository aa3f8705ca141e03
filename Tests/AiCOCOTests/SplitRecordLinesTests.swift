import Foundation
import Testing
@testable import AiCOCO

/// What `aicoco records` writes for a file: the lines, then the first problem or the error.
struct RecordLinesOutcome: Equatable {
    var bytes: [UInt8] = []
    var problem: String?
}

/// `records` on one thread, as the command writes it: the lines of the records before the first
/// problem, then that problem (or the error that stopped the parse).
func recordLinesInOrder(_ path: String, envelope: Bool, sections: Set<Section>, allowNaN: Bool) -> RecordLinesOutcome {
    var outcome = RecordLinesOutcome()
    let lines = RecordLines(.file(path), options: recordLinesOptions(allowNaN), envelope: envelope, sections: sections)
    do {
        var stopped = false
        while !stopped, try lines.next({ bytes, _ in
            if lines.problemCount > 0 {
                stopped = true
                outcome.bytes += bytes.prefix(lines.bytesBeforeFirstProblem)
            } else {
                outcome.bytes += bytes
            }
        }) {}
        if lines.problemCount > 0 { outcome.problem = "\(lines.problems[0])" }
    } catch {
        outcome.problem = "\(error)"
    }
    return outcome
}

private func recordLinesOptions(_ allowNaN: Bool) -> RecordReader.Options {
    var options = DocumentParsing.Options(validate: true)
    options.allowNonFinite = allowNaN
    return RecordReader.Options(parser: options)
}

/// `records` split among `threads`, as the command does it: the split run, then, when it stops
/// early, the one-thread run for what comes after the bytes written. Also whether the split ran
/// to the end, and whether what it wrote was the start of the one-thread output.
func recordLinesSplit(_ path: String, threads: Int, stretch: Int, envelope: Bool, sections: Set<Section>,
                      allowNaN: Bool) throws -> (outcome: RecordLinesOutcome, split: Bool, prefixAgrees: Bool) {
    var split = SplitOptions(threads: threads)
    split.stretchBytes = stretch
    split.minimumBytes = 0
    var written: [UInt8] = []
    let done = try writeRecordLinesSplitting(.file(path), options: recordLinesOptions(allowNaN), envelope: envelope,
                                             sections: sections, split: split) { written += $0 }
    guard let done else { return (RecordLinesOutcome(bytes: written), true, true) }
    #expect(done == written.count)
    var rest = recordLinesInOrder(path, envelope: envelope, sections: sections, allowNaN: allowNaN)
    let agrees = rest.bytes.count >= done && Array(rest.bytes[..<done]) == written
    rest.bytes = written + rest.bytes.dropFirst(done)
    return (rest, false, agrees)
}

/// `records --threads N` gives the bytes and the problem of `--threads 1` on the file at `path`,
/// with and without the section envelope; returns whether some run was split to the end.
@discardableResult
func expectSameRecordLines(_ path: String, _ name: String, stretches: [Int], allowNaN: Bool = false) throws -> Bool {
    var anySplit = false
    for (envelope, sections) in [(true, Set<Section>()), (false, [Section.annotations])] {
        let one = recordLinesInOrder(path, envelope: envelope, sections: sections, allowNaN: allowNaN)
        for stretch in stretches {
            for threads in [2, 3] {
                let (many, split, prefixAgrees) = try recordLinesSplit(path, threads: threads, stretch: stretch, envelope: envelope,
                                                                       sections: sections, allowNaN: allowNaN)
                #expect(prefixAgrees, "\(name): records, stretch \(stretch), \(threads) threads: written before falling back")
                #expect(many == one, "\(name): records (envelope \(envelope)), stretch \(stretch), \(threads) threads")
                if many != one || !prefixAgrees { return anySplit }
                anySplit = anySplit || split
            }
        }
    }
    return anySplit
}

/// Problems as `validate` gathers them.
private struct SplitProblemList: DocumentVisitor {
    var problems: [DocumentError] = []
    mutating func visitProblem(_ error: DocumentError) throws { problems.append(error) }
}

/// `validate` split among threads (`checkSplitting`) says the file is valid only when one thread
/// finds no problem and no error, with the same document form; returns whether it ever did.
@discardableResult
func expectSameValidation(_ path: String, _ name: String, stretches: [Int], allowNaN: Bool = false) throws -> Bool {
    var options = DocumentParsing.Options(validate: true)
    options.allowNonFinite = allowNaN
    var parser = DocumentParser(visitor: SplitProblemList(), options: options)
    let valid = (try? parser.parse(.file(path))) != nil && parser.visitor.problems.isEmpty
    let size = try Paths.bytes(path).count
    var anySplit = false
    for stretch in stretches {
        for threads in [2, 3] {
            var split = SplitOptions(threads: threads)
            split.stretchBytes = stretch
            split.minimumBytes = 0
            guard let (form, bytes) = try checkSplitting(.file(path), options: options, split: split) else { continue }
            #expect(valid, "\(name): found valid split, \(stretch) bytes, \(threads) threads")
            #expect(form == parser.documentForm && bytes == size, "\(name): \(stretch) bytes, \(threads) threads")
            anySplit = true
        }
    }
    return anySplit
}

@Suite struct SplitRecordLinesTests {
    private func write(_ text: String, _ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "h-parallel-lines-\(getpid())-\(name)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func annotation(_ number: Int, image: String = "i1", id: String? = nil) -> String {
        "{\"id\":\"\(id ?? "a\(number)")\",\"image_id\":\"\(image)\",\"object_id\":\"o1\",\"iscrowd\":0,\"bbox\":[[1,2,3.50,4]],\"segmentation\":[[1,2,3,4,5,6.0]]}"
    }

    /// An image output with `annotations`, its images before or after them.
    private func document(_ annotations: [String], imagesFirst: Bool) -> String {
        let images = "\"images\":[{\"file_name\":\"a.dcm\",\"id\":\"i1\",\"index\":0,\"category_ids\":null,\"regressions\":null}]"
        let rest = "\"categories\":[{\"id\":\"c1\",\"name\":\"x\",\"supercategory_id\":null,\"color\":\"#ff0000\"}],\"regressions\":[],\"objects\":[{\"id\":\"o1\",\"category_ids\":[\"c1\"],\"regressions\":null}],\"meta\":{\"category_ids\":null,\"regressions\":null}"
        let list = "\"annotations\":[" + annotations.joined(separator: ",") + "]"
        return "{" + (imagesFirst ? [images, list, rest] : [list, rest, images]).joined(separator: ",") + "}"
    }

    /// References checked across stretches: the split's tables see every stretch's ids, and any
    /// problem among them is reported as one thread reports it, after the same lines.
    @Test(arguments: [true, false])
    func referencesAcrossStretches(imagesFirst: Bool) throws {
        let good = (0..<300).map { annotation($0) }
        var cases: [(String, [String])] = [("good", good)]
        var dangling = good
        dangling[200] = annotation(200, image: "missing")
        cases.append(("dangling", dangling))
        var twice = good
        twice[250] = annotation(250, id: "a20")
        cases.append(("duplicate", twice))
        // The placeholder record's ids, in the file itself.
        var lookalike = good
        lookalike[150] = annotation(150, id: "~aicoco-split~")
        cases.append(("placeholder-id", lookalike))
        lookalike[160] = annotation(160, image: "~aicoco-split~")
        cases.append(("placeholder-image", lookalike))
        lookalike[170] = annotation(170, image: "~aicoco-split~")
        cases.append(("placeholder-image-twice", lookalike))
        for (name, records) in cases {
            let path = try write(document(records, imagesFirst: imagesFirst), "\(name)-\(imagesFirst).json")
            defer { unlink(path) }
            let split = try expectSameRecordLines(path, name, stretches: [300, 3000])
            #expect(split == (name == "good"), "\(name): split to the end \(split)")
            let checked = try expectSameValidation(path, name, stretches: [300, 3000])
            #expect(checked == (name == "good"), "\(name): validated split \(checked)")
        }
    }

    /// A cut guessed inside a string (a `},{` in an extra field of some records): the stretch
    /// before it is read again with the next one, and the split still runs to the end, with the
    /// bytes of one thread; `validate` too.
    @Test func wrongGuessReadAgain() throws {
        let records = (0..<600).map { number in
            number % 9 == 4 ? String(annotation(number).dropLast()) + ",\"note\":\"} , {\\\"x\\\":[1]},{\"}" : annotation(number)
        }
        let path = try write(document(records, imagesFirst: true), "lookalike-strings.json")
        defer { unlink(path) }
        var readAgain = 0
        for stretch in [300, 700, 1500] {
            var split = SplitOptions(threads: 2)
            split.stretchBytes = stretch
            split.minimumBytes = 0
            let (file, points) = try #require(try splitCandidate(.file(path), split: split))
            var options = recordLinesOptions(false).parser
            options.keepsNumberText = true
            let run = SplitRecordLines(file: file, points: points, threads: 2, options: options, envelope: true, sections: [])
            var bytes: [UInt8] = []
            let done = try run.run(progress: nil) { bytes += $0 }
            let one = recordLinesInOrder(path, envelope: true, sections: [], allowNaN: false)
            #expect(done, "stretch \(stretch): split to the end")
            #expect(bytes == one.bytes && one.problem == nil, "stretch \(stretch)")
            readAgain += run.stretchesReadAgain
        }
        #expect(readAgain > 0, "no cut was guessed inside a string")
        #expect(try expectSameRecordLines(path, "lookalike-strings", stretches: [300, 700, 1500]))
        #expect(try expectSameValidation(path, "lookalike-strings", stretches: [300, 700, 1500]))
    }

    /// The lines of a stretch are held until written: a small window of stretches, whatever the file.
    @Test func manyStretchesFewThreads() throws {
        let records = (0..<2000).map { annotation($0) }
        let path = try write(document(records, imagesFirst: true), "many.json")
        defer { unlink(path) }
        #expect(try expectSameRecordLines(path, "many", stretches: [64, 1000]))
    }
}
