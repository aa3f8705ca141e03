// RealShapeTables.swift
//
// The fixed facts of the real shapes: the seed kinds, the structures (categories) and the objects
// of a block of each shape.

import AiCOCO

let kImage: UInt64 = 21, kAnnotation: UInt64 = 22, kObject: UInt64 = 23
let kCategory: UInt64 = 24, kRegression: UInt64 = 25, kBlock: UInt64 = 26
let kGeometry: UInt64 = 27

/// A category of a shape: its name, the index of its parent in the same table (or -1), a color.
struct Structure {
    let name: StaticString
    let parent: Int
    let color: UInt32?
}

let noisyStructures: [Structure] = [
    Structure(name: "Liver", parent: 5, color: 0xA0522D), Structure(name: "Spleen", parent: 5, color: 0x8B0000),
    Structure(name: "Kidney", parent: 5, color: 0xFFA500), Structure(name: "Lesion", parent: -1, color: 0xFFFF00),
    Structure(name: "Vessel", parent: -1, color: 0xFF0000), Structure(name: "Abdomen", parent: -1, color: nil),
]
/// Category of each object of a noisy block: Liver, Spleen, 2 Kidneys, 12 Lesions, 30 Vessels.
let noisyObjects: [Int] = [0, 1, 2, 2] + Array(repeating: 3, count: 12) + Array(repeating: 4, count: 30)

let smoothStructures: [Structure] = [
    Structure(name: "Liver", parent: 14, color: 0x30A0F0), Structure(name: "Spleen", parent: 14, color: 0x30B201),
    Structure(name: "Kidney_L", parent: 14, color: 0x30C312), Structure(name: "Kidney_R", parent: 14, color: 0x30D423),
    Structure(name: "Pancreas", parent: 14, color: 0x30E534), Structure(name: "Stomach", parent: 14, color: 0x30F645),
    Structure(name: "Aorta", parent: 15, color: 0x310756), Structure(name: "IVC", parent: 15, color: 0x311867),
    Structure(name: "Gallbladder", parent: 14, color: 0x312978), Structure(name: "Adrenal", parent: 14, color: 0x313A89),
    Structure(name: "Bladder", parent: 16, color: 0x314B9A), Structure(name: "Lesion", parent: -1, color: 0x315CAB),
    Structure(name: "Vertebra", parent: 17, color: 0x316DBC), Structure(name: "Rib", parent: 17, color: 0x317ECD),
    Structure(name: "Abdomen", parent: -1, color: nil), Structure(name: "Vessel", parent: -1, color: nil),
    Structure(name: "Pelvis", parent: -1, color: nil), Structure(name: "Bone", parent: -1, color: nil),
]
let smoothObjects: [Int] = Array(0...9) + [9, 10] + Array(repeating: 11, count: 6)
    + Array(repeating: 12, count: 8) + Array(repeating: 13, count: 10)

let detectionStructures: [Structure] = [
    Structure(name: "Fracture", parent: -1, color: nil), Structure(name: "Nodule", parent: -1, color: nil),
    Structure(name: "Mass", parent: -1, color: nil),
]

/// The fixed facts of one shape.
struct ShapeTable {
    let structures: [Structure]
    /// Category of each object of a full block (segmentation shapes).
    let objects: [Int]
    /// Slices of a full block.
    let slices: Int
    let detection: Bool

    init(_ shape: DocumentGenerator.Options.Shape) {
        switch shape {
        case .smooth: self.init(structures: smoothStructures, objects: smoothObjects, slices: 40, detection: false)
        case .detection: self.init(structures: detectionStructures, objects: [], slices: 1, detection: true)
        default: self.init(structures: noisyStructures, objects: noisyObjects, slices: 40, detection: false)
        }
    }

    private init(structures: [Structure], objects: [Int], slices: Int, detection: Bool) {
        self.structures = structures
        self.objects = objects
        self.slices = slices
        self.detection = detection
    }
}

/// One object of a block: its category, its slices (`start..<start+count`, block-relative) and
/// its place in the image.
struct BlockObject {
    var category, start, count, cx, cy: Int
    var radius: Double
}
