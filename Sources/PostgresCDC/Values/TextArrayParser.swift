import NIOCore

/// Parses an array's text output: `{1,2,NULL}`, `{{1,2},{3,4}}`, `[0:1]={a,b}`, `{"a \"b\"",NULL,"NULL"}`, `{}`.
struct TextArrayParser {
    private var scanner: TextScanner<ByteBufferView>
    private let elementOID: UInt32
    private let decoder: TextValueDecoder
    private var dimensions: [Int?] = Array(repeating: nil, count: BinaryValueDecoder.maxDimensions)
    private var leafDepth: Int?
    private var elements: [PostgresValue] = []

    init(_ bytes: ByteBufferView, elementOID: UInt32, decoder: TextValueDecoder) {
        self.scanner = TextScanner(bytes)
        self.elementOID = elementOID
        self.decoder = decoder
    }

    mutating func parse() throws(DecodeFailure) -> PostgresArray {
        var bounds: [(lower: Int, upper: Int)] = []
        while self.scanner.consume(UInt8(ascii: "[")) {
            let lowerSign = self.scanner.readSign()
            let lower = lowerSign * (try self.scanner.readDigits(minimum: 1, maximum: 10))
            try self.scanner.expect(UInt8(ascii: ":"))
            let upperSign = self.scanner.readSign()
            let upper = upperSign * (try self.scanner.readDigits(minimum: 1, maximum: 10))
            try self.scanner.expect(UInt8(ascii: "]"))
            guard upper >= lower - 1, bounds.count < BinaryValueDecoder.maxDimensions else {
                throw DecodeFailure(.invalidArray, "invalid array bounds")
            }
            bounds.append((Int(lower), Int(upper)))
        }
        if !bounds.isEmpty {
            try self.scanner.expect(UInt8(ascii: "="))
        }
        try self.scanner.expect(UInt8(ascii: "{"))
        if self.scanner.consume(UInt8(ascii: "}")) {
            try self.scanner.requireEnd()
            guard bounds.isEmpty else { throw DecodeFailure(.invalidArray, "bounds on an empty array") }
            return PostgresArray(elementTypeOID: self.elementOID, dimensions: [], elements: [])
        }
        try self.parseLevel(depth: 0)
        try self.scanner.requireEnd()
        let dimensionCount = (self.leafDepth ?? 0) + 1
        var lengths: [Int] = []
        for depth in 0..<dimensionCount {
            guard let length = self.dimensions[depth] else {
                throw DecodeFailure(.invalidArray, "inconsistent array nesting")
            }
            lengths.append(length)
        }
        var lowerBounds = Array(repeating: 1, count: dimensionCount)
        if !bounds.isEmpty {
            guard bounds.count == dimensionCount,
                zip(bounds, lengths).allSatisfy({ $0.upper - $0.lower + 1 == $1 })
            else {
                throw DecodeFailure(.invalidArray, "array bounds do not match the elements")
            }
            lowerBounds = bounds.map(\.lower)
        }
        return PostgresArray(
            elementTypeOID: self.elementOID,
            dimensions: lengths,
            lowerBounds: lowerBounds,
            elements: self.elements
        )
    }

    /// Parses the inside of one `{...}` level (the `{` is already consumed) up to and including its `}`.
    private mutating func parseLevel(depth: Int) throws(DecodeFailure) {
        guard depth < BinaryValueDecoder.maxDimensions else {
            throw DecodeFailure(.invalidArray, "array nested deeper than \(BinaryValueDecoder.maxDimensions)")
        }
        var count = 0
        while true {
            if self.scanner.consume(UInt8(ascii: "{")) {
                guard self.leafDepth == nil || self.leafDepth ?? 0 > depth else {
                    throw DecodeFailure(.invalidArray, "inconsistent array nesting")
                }
                try self.parseLevel(depth: depth + 1)
            } else {
                guard self.leafDepth == nil || self.leafDepth == depth else {
                    throw DecodeFailure(.invalidArray, "inconsistent array nesting")
                }
                self.leafDepth = depth
                self.elements.append(try self.parseElement())
            }
            count += 1
            if self.scanner.consume(UInt8(ascii: ",")) { continue }
            try self.scanner.expect(UInt8(ascii: "}"))
            break
        }
        if let known = self.dimensions[depth] {
            guard known == count else { throw DecodeFailure(.invalidArray, "sub-arrays of different lengths") }
        } else {
            self.dimensions[depth] = count
        }
    }

    private mutating func parseElement() throws(DecodeFailure) -> PostgresValue {
        let bytes = self.scanner.bytes
        let quoted = self.scanner.consume(UInt8(ascii: "\""))
        let start = self.scanner.index
        var unescaped: [UInt8]? = nil
        while true {
            guard let byte = self.scanner.peek else {
                throw DecodeFailure(.invalidArray, "unterminated array element")
            }
            if byte == UInt8(ascii: "\\") {
                if unescaped == nil { unescaped = Array(bytes[start..<self.scanner.index]) }
                self.scanner.index += 1
                guard let escaped = self.scanner.peek else {
                    throw DecodeFailure(.invalidArray, "unterminated array element")
                }
                unescaped?.append(escaped)
                self.scanner.index += 1
                continue
            }
            if quoted ? byte == UInt8(ascii: "\"") : (byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}")) {
                break
            }
            guard quoted || (byte != UInt8(ascii: "{") && byte != UInt8(ascii: "\"")) else {
                throw DecodeFailure(.invalidArray, "unexpected character in an unquoted array element")
            }
            unescaped?.append(byte)
            self.scanner.index += 1
        }
        let end = self.scanner.index
        if quoted {
            self.scanner.index += 1
        } else if unescaped == nil && bytes[start..<end].elementsEqual("NULL".utf8) {
            return .null
        }
        if let unescaped {
            return try self.decoder.decode(ByteBuffer(bytes: unescaped).readableBytesView, typeOID: self.elementOID)
        }
        guard quoted || end > start else { throw DecodeFailure(.invalidArray, "empty unquoted array element") }
        return try self.decoder.decode(bytes[start..<end], typeOID: self.elementOID)
    }
}
