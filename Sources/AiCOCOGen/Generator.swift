// Generator.swift
//
// The public face of the generator: options, the summary of what was written, and the streaming
// entry point that dispatches to a shape (RealShape.swift, LongShape.swift).

import AiCOCO

/// Streams a seeded, schema-valid, reference-consistent AiCOCO document of about
/// `options.targetBytes`, in constant memory whatever the size.
///
/// Everything derives from the seed; ids are nanoid-style (21 chars) hashes of
/// (seed, kind, index), so nothing that grows with the document is ever stored.
public struct DocumentGenerator: Sendable {
    /// The options this generator was created with.
    public let options: Options
    private var longLayout: LongShapeLayout?

    /// Creates a generator. `options.order` must be a permutation of ``Options/imageSections``.
    public init(options: Options) {
        precondition(options.order.count == Options.imageSections.count
                     && Set(options.order) == Set(Options.imageSections),
                     "DocumentGenerator.Options.order must be a permutation of the six image sections")
        self.options = options
    }

    /// Streams the document to `sink` in chunks of at most ~64 KiB. The chunk memory is only
    /// valid during the call. Returns the counts.
    public mutating func generate(to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Summary {
        switch options.shape {
        case .long:
            return try generateLongShape(options, layout: &longLayout, to: sink)
        case .noisy, .smooth, .detection:
            return try generateRealShape(options, to: sink)
        }
    }
}

extension DocumentGenerator {
    /// Options of a ``DocumentGenerator``.
    public struct Options: Sendable {
        /// What the generated document looks like.
        public enum Shape: String, Sendable, CaseIterable {
            /// Real FLaVor whole-series segmentation from a model with speckled borders: ~1,500
            /// annotations and ~80 slices per MB, most contours of 1 or 2 points, a few of hundreds.
            case noisy
            /// Real FLaVor segmentation with clean borders: one contour per annotation, ~40 points.
            case smooth
            /// Real FLaVor detection: bboxes only, `segmentation: null`, objects with a confidence
            /// and two regressions, ~40 annotations per image.
            case detection
            /// Synthetic: few large annotations with contours of up to 5,000 points (a stress shape).
            case long
        }

        /// The six sections of an image AiCOCO document, in FLaVor's order.
        public static let imageSections: [Section] = [.images, .annotations, .categories, .regressions, .objects, .meta]

        /// Approximate output size in bytes; the result lands within about 10 % of it.
        /// Targets below the smallest valid document yield that smallest document.
        public var targetBytes: Int
        /// Seed of every pseudo-random choice. Equal options give byte-identical output.
        public var seed: UInt64
        /// `false` (default): compact JSON without any whitespace, as FLaVor writes.
        /// `true`: indented by 2 spaces like Python `json.dump(obj, f, indent=2)`, one number per line.
        public var pretty: Bool
        /// Order of the top-level keys; a permutation of ``imageSections``. Changes only the
        /// serialization, never the content.
        public var order: [Section]
        /// The shape; default ``Shape/noisy``, the shape of real whole-series output.
        public var shape: Shape

        /// Options for a document of about `targetBytes` bytes.
        public init(targetBytes: Int, seed: UInt64 = 1, pretty: Bool = false,
                    order: [Section] = Options.imageSections, shape: Shape = .noisy) {
            (self.targetBytes, self.seed, self.pretty, self.order, self.shape)
                = (targetBytes, seed, pretty, order, shape)
        }
    }

    /// Counts describing a generated document.
    public struct Summary: Sendable, Equatable {
        /// Number of records in the respective top-level arrays.
        public var images = 0, annotations = 0, categories = 0, regressions = 0, objects = 0
        /// Segmentation polygons over all annotations.
        public var polygons = 0
        /// Coordinate pairs over all segmentation polygons.
        public var points = 0
        /// `[x1, y1, x2, y2]` entries over all annotation `bbox` lists.
        public var bboxes = 0
        /// Total bytes handed to the sink.
        public var bytes = 0

        /// Every count zero, before anything is written.
        public init() {}
    }
}
