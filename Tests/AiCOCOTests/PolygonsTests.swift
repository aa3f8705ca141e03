@testable import AiCOCO
import Testing

/// `Polygons` keeps coordinates and polygon ends in one allocation: every way of building one
/// gives the same polygons, views and equality as one array per polygon.
@Suite("Polygons")
struct PolygonsTests {
    static let shapes: [[[Double]]] = [
        [],
        [[]],
        [[1, 2]],
        [[1, 2, 3, 4, 5, 6], [], [7.5, -8]],
        [[0, 0, 4, 0, 4, 3, 0, 3], [1], [2, 3, 4]],
        [[-0.0, 1e300, 5e-324, 0x1p53]],
    ]

    /// What each view must show for `polygons`.
    func check(_ built: Polygons, _ polygons: [[Double]]) {
        #expect(built.count == polygons.count)
        #expect(built.map { Array($0) } == polygons)
        #expect(Array(built.coordinates) == polygons.flatMap { $0 })
        #expect(built.coordinates.startIndex == 0)
        var end = 0
        #expect(Array(built.ends) == polygons.map { end += $0.count; return end })
        #expect(built.pointCount == polygons.reduce(0) { $0 + $1.count / 2 })
        built.coordinates.withUnsafeBufferPointer { #expect(Array($0) == polygons.flatMap { $0 }) }
        for (index, polygon) in polygons.enumerated() { #expect(Array(built[index]) == polygon) }
    }

    @Test("built from arrays per polygon, from flat storage, or appended: the same views")
    func views() {
        for shape in Self.shapes {
            check(Polygons(shape), shape)
            var ends: [Int] = []
            var total = 0
            for polygon in shape { total += polygon.count; ends.append(total) }
            check(Polygons(coordinates: shape.flatMap { $0 }, ends: ends), shape)
            var appended = Polygons()
            for polygon in shape { appended.append(polygon) }
            check(appended, shape)
            #expect(appended == Polygons(shape))
        }
    }

    @Test("appending to a copy leaves the original as it was (value semantics)")
    func copyOnAppend() {
        let original = Polygons([[1, 2, 3, 4]])
        var copy = original
        copy.append([5, 6])
        check(original, [[1, 2, 3, 4]])
        check(copy, [[1, 2, 3, 4], [5, 6]])
        #expect(original != copy)
    }

    @Test("equal when the polygons are equal, whatever way they were split")
    func equality() {
        #expect(Polygons([[1, 2, 3, 4]]) != Polygons([[1, 2], [3, 4]]))
        #expect(Polygons([[1, 2], []]) != Polygons([[1, 2]]))
        #expect(Polygons([]) == Polygons())
        #expect(Polygons([[]]) != Polygons())
        #expect(Polygons([[1, 2]]) != Polygons([[1, 3]]))
    }

    @Test("typed records hold each annotation's polygons as the file has them")
    func fromRecords() throws {
        let json = #"""
        {"images":[],"annotations":[
         {"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[[1,2,3,4],[5,6],[]]},
         {"id":"b","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[]},
         {"id":"c","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":null},
         {"id":"d","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[[7.25,-8,1e3]]}],
         "categories":[],"regressions":[],"objects":[],"meta":{"category_ids":null,"regressions":null}}
        """#
        let reader = RecordReader(.bytes(Array(json.utf8)))
        var segmentations: [Polygons?] = []
        while let record = try reader.next() {
            if case .annotation(let annotation) = record { segmentations.append(annotation.segmentation) }
        }
        #expect(segmentations.count == 4)
        check(try #require(segmentations[0]), [[1, 2, 3, 4], [5, 6], []])
        check(try #require(segmentations[1]), [])
        #expect(segmentations[2] == nil)
        check(try #require(segmentations[3]), [[7.25, -8, 1000]])
    }
}
