// RealShapeCatalog.swift
//
// The sections of a real-shaped document that describe its series: categories, regressions,
// objects and meta.

import AiCOCO

extension RealShapeWriter {

    mutating func categories() {
        w.b(91)
        for (i, structure) in table.structures.enumerated() {
            w.sep(i == 0, 2); w.b(123)
            w.nl(3); w.key("\"id\":"); w.id(seed, kCategory, i); w.b(44)
            w.nl(3); w.key("\"name\":"); w.b(34); w.s(structure.name); w.b(34); w.b(44)
            w.nl(3); w.key("\"supercategory_id\":")
            if structure.parent >= 0 { w.id(seed, kCategory, structure.parent) } else { w.null() }
            if let color = structure.color { w.b(44); w.nl(3); w.key("\"color\":"); w.hexColor(color) }
            w.nl(2); w.b(125)
        }
        w.nl(1); w.b(93)
    }

    mutating func regressions() {
        w.b(91)
        if table.detection {
            for (i, (name, unit)) in [("Diameter", "mm"), ("Density", "HU")].enumerated() {
                w.sep(i == 0, 2); w.b(123)
                w.nl(3); w.key("\"id\":"); w.id(seed, kRegression, i); w.b(44)
                w.nl(3); w.key("\"name\":"); text(name); w.b(44)
                w.nl(3); w.key("\"superregression_id\":"); w.null(); w.b(44)
                w.nl(3); w.key("\"unit\":"); text(unit)
                w.nl(2); w.b(125)
            }
            w.nl(1)
        }
        w.b(93)
    }

    mutating func objects(_ sink: Sink) rethrows {
        w.b(91)
        var index = 0
        for b in blockRange {
            if table.detection {
                let count = detections(in: b).count
                var values = _Rng(_hash(seed, kObject, UInt64(b)))
                for _ in 0..<count {
                    objectHeader(index == 0, index, category: values.below(table.structures.count))
                    w.b(91)
                    for k in 0..<2 {
                        w.sep(k == 0, 4); w.b(123)
                        w.nl(5); w.key("\"regression_id\":"); w.id(seed, kRegression, k); w.b(44)
                        w.nl(5); w.key("\"value\":"); text("\(values.range(1, 100))", quoted: false)
                        w.nl(4); w.b(125)
                    }
                    w.nl(3); w.b(93); w.b(44)
                    w.nl(3); w.key("\"confidence\":"); text("\(values.range(0.3, 1))", quoted: false)
                    w.nl(2); w.b(125)
                    index += 1
                    try w.check(sink)
                }
                continue
            }
            layOut(block: b)
            for (j, object) in objectBuffer.enumerated() where object.start < blockSlices {
                objectHeader(index == 0, b * objectsPerBlock + j, category: object.category)
                w.null()
                w.nl(2); w.b(125)
                index += 1
                try w.check(sink)
            }
        }
        sum.objects = index
        w.nl(1); w.b(93)
    }

    mutating func objectHeader(_ first: Bool, _ index: Int, category: Int) {
        w.sep(first, 2); w.b(123)
        w.nl(3); w.key("\"id\":"); w.id(seed, kObject, index); w.b(44)
        w.nl(3); w.key("\"category_ids\":"); w.b(91); w.nl(4); w.id(seed, kCategory, category); w.nl(3); w.b(93); w.b(44)
        w.nl(3); w.key("\"regressions\":")
    }

    mutating func meta() {
        w.b(123)
        w.nl(2); w.key("\"category_ids\":"); w.null(); w.b(44)
        w.nl(2); w.key("\"regressions\":"); w.null()
        w.nl(1); w.b(125)
    }

    /// Text without characters to escape, quoted unless told otherwise.
    mutating func text(_ value: String, quoted: Bool = true) {
        if quoted { w.b(34) }
        for byte in value.utf8 { w.b(byte) }
        if quoted { w.b(34) }
    }
}
