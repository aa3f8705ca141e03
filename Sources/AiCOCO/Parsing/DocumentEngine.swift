/// The document parser's engine: one value, made of named parts, that reads an AiCOCO document
/// piece by piece. yajl lexes the structure and calls back into it (`Dispatch.swift`); inside
/// records and polygons it reads the bytes itself (`scan`, `RecordScanner.swift`,
/// `CoordinateScanner.swift`). It checks the format, builds the record being read and hands
/// records and coordinate chunks to its delegate.
///
/// It is not copyable: a copy would share the yajl handle and the coordinate buffer. yajl
/// reaches it in place, through `YajlLexer.parse(_:with:)`, only while a method of its own
/// lends itself (`&self`) to the lexer, so no pointer to it outlives a call.
///
/// Its parts, one file each: `frames` (`Frames.swift`), `places` (`TokenStarts.swift`,
/// `Places.swift`), `record` (`RecordAssembly.swift`, `ExtraValues.swift`, `InlineRecords.swift`),
/// `coordinates` (`Coordinates.swift`), `outline` (`DocumentKind.swift`), `scan` (the scanners),
/// `held` (`Feeding.swift`).
struct DocumentEngine: ~Copyable {
    let options: DocumentParsing.Options
    /// Unowned without checks: the parser that owns the engine owns the delegate too.
    unowned(unsafe) let delegate: EngineDelegate
    let lexer = YajlLexer<DocumentEngine>()
    let checker: ReferenceChecker?

    /// The open arrays and objects.
    var frames = FrameStack()
    /// Where the input and its tokens are.
    var places = TokenPlaces()
    /// The record being read.
    var record = RecordInProgress()
    /// The numbers of the polygon (or box) being read.
    var coordinates = CoordinateBuffer()
    /// What the top level has shown so far (keys, kind, records form, meta).
    var outline = DocumentOutline()
    /// Who reads the next bytes: yajl, or one of the engine's own scanners.
    var scan = ScanMode.yajl
    /// Input held back before yajl sees it.
    var held = HeldInput()

    /// Strict UTF-8 and `\u` escapes (yajl's checks are looser), reported by `checkStrictText`.
    var strictText = StrictTextScanner()
    /// `NaN`, `Infinity`, `-Infinity` rewritten before yajl (`allowNonFinite` only).
    var nonFinite = NonFiniteRewriter()
    /// A callback happened since the last check (for `maxTokenBytes`).
    var sawEvent = false
    var quietBytes = 0
    /// yajl is completing the parse (the input has ended).
    var completing = false
    /// The error that stopped the parse (the input's, placed, or the visitor's own); every
    /// later call throws it again.
    var failure: (any Error)?
    /// The prefix that brings a new yajl handle to the scanner's state (see `restartLexer`).
    var prefixBytes: [UInt8] = []

    init(options: DocumentParsing.Options, delegate: EngineDelegate) {
        var options = options
        // Every number goes through yajl's callbacks, where rewritten tokens are recognised.
        if options.allowNonFinite { options.readsPolygonsWithoutYajl = false }
        self.options = options
        self.delegate = delegate
        checker = options.validate && options.checksReferences ? ReferenceChecker(memoryLimit: options.memoryLimit) : nil
        if options.keepsNumberText { coordinates.keepText() }
    }
}

/// Why a handler stops yajl, or a scanner stops: the parse failed, or the engine reads on itself.
enum EngineStop: Error {
    /// The error that ends the parse: the input's (a `DocumentError`, placed) or the one the
    /// visitor threw, as it is.
    case failed(any Error)
    /// Read on without yajl from just after the token handed out.
    case takeOver(Takeover)
}

/// What a yajl callback returns: read on, or stop (`EngineStop` says why).
typealias Verdict = YajlVerdict<EngineStop>

/// The verdict of a handler's body: `.proceed` unless it threw.
@inline(__always)
func verdict<Stop: Error>(_ body: () throws(Stop) -> Void) -> YajlVerdict<Stop> {
    do {
        try body()
        return .proceed
    } catch {
        return .stop(error)
    }
}

/// The record being read: its fields, the regression item being read, the extra values being
/// built, and what an inline tabular record adds.
struct RecordInProgress {
    var fields = RecordFields()
    var item = ItemScratch()
    /// The `table_id` and `row_indexes` of the inline record being read (kept out of
    /// `fields`, which every record makes anew).
    var rowTableID = ""
    var rowIndexes: [Int] = []
    /// `index` and `confidence` as written, when a `Double` is not written so (`numberText`).
    var indexText: JSONNumber?
    var confidenceText: JSONNumber?
    var extraStack: [ExtraContainer] = []
}

/// What is known of the record being read.
struct RecordFields {
    var seen: UInt32 = 0
    var valid = true
    var start = SourceLocation(offset: 0, line: 1, column: 1)
    var cost = 0
    var id = ""
    var fileName = ""
    var name = ""
    var imageID = ""
    var objectID = ""
    /// An annotation's ids.
    var idKey = RecordID(bytes: UnsafeBufferPointer(start: nil, count: 0))
    var imageKey = RecordID(bytes: UnsafeBufferPointer(start: nil, count: 0))
    var objectKey = RecordID(bytes: UnsafeBufferPointer(start: nil, count: 0))
    var superID: String?
    var color: String?
    var unit: String?
    var threshold: String?
    var index = 0.0
    var confidence: Double?
    var iscrowd = 0
    var taskType: Meta.TaskType?
    var categoryIDs: [String]?
    var regressions: [RegressionItem]?
    var bboxCount: Int?
    var polygonCount: Int?
    var tableIDs: [String]?
    var windowSize: Int?
    var format = ""
    var href = ""
    var rows = 0
    var bytes = 0
    var extra: [JSONMember] = []
}

/// What is known of the regression item being read.
struct ItemScratch {
    var seen: UInt32 = 0
    var valid = true
    var regressionID = ""
    var value = 0.0
    var text: JSONNumber?
}
