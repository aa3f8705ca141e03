// What `aicoco validate --format json` prints, for the C API.
import AiCOCO

/// Keeps the first `limit` problems and counts them all (as `aicoco validate`).
struct ProblemCollector: DocumentVisitor {
    let limit: Int
    var kept: [DocumentError] = []
    var total = 0

    mutating func add(_ error: DocumentError) {
        total += 1
        if kept.count < limit { kept.append(error) }
    }

    mutating func visitProblem(_ error: DocumentError) throws { add(error) }

    /// The object `validate --format json` prints for one file.
    func json(file: String, bytes: Int, form: DocumentForm?) -> String {
        let errors = kept.map { error in
            (error.file.map { "{\"file\":\(JSONText.quoted($0))," } ?? "{") + "\"kind\":\"\(error.kind.rawValue)\",\"message\":\(JSONText.quoted(error.message)),\"path\":\(JSONText.quoted(error.path)),\"line\":\(error.location.line),\"column\":\(error.location.column),\"offset\":\(error.location.offset)}"
        }
        return "{\"valid\":\(total == 0),\"file\":\(JSONText.quoted(file)),\"error_count\":\(total),\"errors\":[\(errors.joined(separator: ","))],\"truncated\":\(total > kept.count),\"bytes\":\(bytes),\"document\":\(form?.jsonText ?? "null")}"
    }
}
