import Foundation
import Testing
@testable import AiCOCO

// An annotation whose contours span more pixels than a mask may take stops `convert --to coco`:
// the message names that annotation by its AiCOCO id (the first one too large, in file order),
// on one thread and on several, compact and pretty.
struct COCOMaskTooLargeTests {
    static func document() -> [UInt8] {
        let small = "[1,1,3,1,3,3]", large = "[0,0,90,0,90,90,0,90]"
        let annotations = [
            PixelHostile.annotation(0, image: 0, small),
            PixelHostile.annotation(1, image: 0, small),
            PixelHostile.annotation(2, image: 1, large).replacingOccurrences(of: #""id":"a2""#, with: #""id":"big \"one\"""#),
            PixelHostile.annotation(3, image: 1, large),
        ]
        let images = [PixelHostile.image(0, width: 100, height: 100), PixelHostile.image(1, width: 100, height: 100)]
        return Array(PixelHostile.document(images: images, annotations: annotations).utf8)
    }

    @Test("the error names the annotation", arguments: [(1, false), (1, true), (3, false)])
    func namesTheAnnotation(threads: Int, pretty: Bool) throws {
        let bytes = Self.document()
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""id":"big \"one\"""#))
        for form in COCOConverter.SegmentationForm.allCases {
            var converter = COCOConverter(imageSize: nil, pretty: pretty, segmentation: form)
            converter.maxMaskPixels = 1000
            converter.split = SplitOptions(threads: threads)
            let json = JSONWriter(pretty: pretty, sink: { _ in })
            do {
                _ = try converter.convert(.bytes(bytes), to: json)
                Issue.record("a mask of 91 x 91 pixels passed a limit of 1000")
            } catch let error as COCOConverter.MaskTooLarge {
                #expect(error.annotation == #""big \"one\"""#)
                #expect(error.description == #"annotation "big \"one\"": its contours span 91 x 91 pixels of its image, more than the 1000 pixels a mask may take"#)
            }
        }
        // Under the limit, the same file converts.
        var converter = COCOConverter(imageSize: nil, pretty: pretty)
        converter.split = SplitOptions(threads: threads)
        let summary = try converter.convert(.bytes(bytes), to: JSONWriter(pretty: pretty, sink: { _ in }))
        #expect(summary.annotations == 4)
    }

    @Test("the id is read from a tail, compact or pretty, escapes and all")
    func idFromTail() {
        func id(_ text: String) -> String? {
            Array(text.utf8).withUnsafeBytes { COCOConverter.MaskTooLarge.annotationID(inTail: $0) }
        }
        #expect(id(#","aicoco_id":"a7","aicoco_object_id":"o""#) == #""a7""#)
        #expect(id(",\n      \"aicoco_id\": \"x\\\\\",\n      \"aicoco_object_id\": \"o\"") == #""x\\""#)
        #expect(id(#","aicoco_object_id":"o""#) == nil)
        #expect(id(#","aicoco_id":"cut"#) == nil)
    }
}
