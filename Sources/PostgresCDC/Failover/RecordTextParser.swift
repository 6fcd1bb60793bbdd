/// Splits the text output of a row value (`record_out`, what `NEW::text` gives in a trigger) into the text output
/// of each column.
///
/// The format: `(` fields separated by `,` `)`; a NULL field is empty; a field that is empty, or contains a quote,
/// backslash, parenthesis, comma or white space, is double-quoted with `"` and `\` doubled inside. Parsing follows
/// `record_in`: inside or outside quotes a backslash takes the next byte literally, and `""` inside quotes is one
/// quote. Each field is exactly what the column type's output function printed.
struct RecordTextParser {
    /// Why a record text could not be split.
    struct Failure: Error, Sendable, Hashable {
        /// The byte offset of the problem.
        var offset: Int
        /// What was expected there.
        var expected: String
    }

    /// Splits a record.
    /// - Parameters:
    ///   - bytes: the record text.
    ///   - expectedCount: the number of columns of the row type (a zero-column row prints as `()`, like a
    ///     one-column row holding NULL).
    /// - Returns: one entry per field: its text, or `nil` for NULL.
    /// - Throws: ``Failure`` when the text is not a record.
    static func fields(of bytes: some Collection<UInt8>, expectedCount: Int) throws(Failure) -> [[UInt8]?] {
        let input = Array(bytes)
        guard input.first == UInt8(ascii: "(") else { throw Failure(offset: 0, expected: "(") }
        var index = 1
        var fields: [[UInt8]?] = []
        while true {
            var field: [UInt8] = []
            var isNull = true
            var inQuotes = false
            scanning: while true {
                guard index < input.count else { throw Failure(offset: index, expected: ") or ,") }
                let byte = input[index]
                switch byte {
                case UInt8(ascii: "\\"):
                    guard index + 1 < input.count else { throw Failure(offset: index, expected: "an escaped byte") }
                    field.append(input[index + 1])
                    isNull = false
                    index += 2
                case UInt8(ascii: "\"") where inQuotes:
                    if index + 1 < input.count && input[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 2
                    } else {
                        inQuotes = false
                        index += 1
                    }
                case UInt8(ascii: "\""):
                    inQuotes = true
                    isNull = false
                    index += 1
                case UInt8(ascii: ","), UInt8(ascii: ")"):
                    if inQuotes {
                        field.append(byte)
                        index += 1
                    } else {
                        break scanning
                    }
                default:
                    field.append(byte)
                    isNull = false
                    index += 1
                }
            }
            fields.append(isNull ? nil : field)
            let separator = input[index]
            index += 1
            if separator == UInt8(ascii: ")") { break }
        }
        guard index == input.count else { throw Failure(offset: index, expected: "the end after )") }
        if expectedCount == 0 && fields.count == 1 && fields[0] == nil { return [] }
        return fields
    }
}
