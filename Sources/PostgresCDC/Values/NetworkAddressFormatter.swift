/// Prints `inet`/`cidr`/`macaddr` binary values the way PostgreSQL's output functions do.
enum NetworkAddressFormatter {
    /// `network_out`: the address, then `/bits` for `cidr` or when `bits` is not the full address length.
    static func format(address: [UInt8], bits: UInt8, isCIDR: Bool) -> String {
        var text = address.count == 4 ? self.ipv4(address) : self.ipv6(address)
        let maxBits = address.count * 8
        if isCIDR || Int(bits) != maxBits {
            text += "/\(bits)"
        }
        return text
    }

    private static func ipv4(_ bytes: some Collection<UInt8>) -> String {
        bytes.map { String($0) }.joined(separator: ".")
    }

    /// RFC 5952-style compression of the longest run (two words or more) of zero words, with PostgreSQL's
    /// embedded-IPv4 forms (`::1.2.3.4`, `::ffff:1.2.3.4`).
    private static func ipv6(_ bytes: [UInt8]) -> String {
        var words = [UInt16](repeating: 0, count: 8)
        for index in 0..<8 {
            words[index] = UInt16(bytes[2 * index]) << 8 | UInt16(bytes[2 * index + 1])
        }
        var bestBase = -1
        var bestLength = 0
        var currentBase = -1
        var currentLength = 0
        for index in 0..<8 {
            if words[index] == 0 {
                if currentBase == -1 {
                    currentBase = index
                    currentLength = 1
                } else {
                    currentLength += 1
                }
                if currentLength > bestLength {
                    bestBase = currentBase
                    bestLength = currentLength
                }
            } else {
                currentBase = -1
            }
        }
        if bestLength < 2 { bestBase = -1 }
        var text = ""
        var index = 0
        while index < 8 {
            if bestBase != -1 && index >= bestBase && index < bestBase + bestLength {
                if index == bestBase { text += ":" }
                index += 1
                continue
            }
            if index != 0 { text += ":" }
            if index == 6 && bestBase == 0 && (bestLength == 6 || (bestLength == 5 && words[5] == 0xffff)) {
                text += self.ipv4(bytes[12..<16])
                return text
            }
            text += String(words[index], radix: 16)
            index += 1
        }
        if bestBase != -1 && bestBase + bestLength == 8 { text += ":" }
        return text
    }

    /// `08:00:2b:01:02:03`: lowercase hex bytes separated by colons.
    static func macaddr(_ bytes: some Collection<UInt8>) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined(separator: ":")
    }
}
