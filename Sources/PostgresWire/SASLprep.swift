import Foundation

/// The password preparation SCRAM asks for (SASLprep, RFC 4013), with PostgreSQL's fallback.
///
/// What is done, as PostgreSQL's `pg_saslprep` does it:
/// - a pure ASCII password is used as it is (PostgreSQL does the same, even for control characters);
/// - otherwise non-ASCII spaces (RFC 3454 table C.1.2) become U+0020, characters "commonly mapped to nothing"
///   (table B.1) are removed, and the result is normalized to NFKC;
/// - if the result is empty or contains a prohibited character (tables C.1.2 to C.9: controls, private use,
///   non-characters, surrogates, tagging and bidirectional formatting characters), the raw UTF-8 bytes of the
///   password are used instead, which is what the PostgreSQL server does when it stores such a password.
///
/// What is not done: the check for code points unassigned in Unicode 3.2 (table A.1) and the bidirectional text
/// rule (RFC 3454 section 6). A password that breaks only those rules is normalized here, while PostgreSQL would
/// have kept its raw bytes; such passwords (mixing right-to-left and left-to-right scripts, or using characters
/// added after Unicode 3.2) may fail to authenticate.
enum SASLprep {
    /// The bytes to feed to PBKDF2 for a password.
    /// - Parameter password: the password as given.
    /// - Returns: the prepared UTF-8 bytes, or the raw UTF-8 bytes when preparation is not possible.
    static func prepare(_ password: String) -> [UInt8] {
        let raw = Array(password.utf8)
        if raw.allSatisfy({ $0 < 0x80 }) {
            return raw
        }
        var mapped = String.UnicodeScalarView()
        for scalar in password.unicodeScalars {
            if Self.isNonASCIISpace(scalar.value) {
                mapped.append(" ")
            } else if !Self.isMappedToNothing(scalar.value) {
                mapped.append(scalar)
            }
        }
        let normalized = String(mapped).precomposedStringWithCompatibilityMapping
        guard !normalized.isEmpty, !normalized.unicodeScalars.contains(where: { Self.isProhibited($0.value) }) else {
            return raw
        }
        return Array(normalized.utf8)
    }

    /// RFC 3454 table C.1.2: non-ASCII space characters.
    static func isNonASCIISpace(_ value: UInt32) -> Bool {
        switch value {
        case 0x00A0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// RFC 3454 table B.1: characters commonly mapped to nothing.
    static func isMappedToNothing(_ value: UInt32) -> Bool {
        switch value {
        case 0x00AD, 0x034F, 0x1806, 0x180B...0x180D, 0x200B...0x200D, 0x2060, 0xFE00...0xFE0F, 0xFEFF: true
        default: false
        }
    }

    /// RFC 4013 section 2.3: the prohibited output (RFC 3454 tables C.1.2, C.2.1, C.2.2, C.3 to C.9).
    static func isProhibited(_ value: UInt32) -> Bool {
        if Self.isNonASCIISpace(value) {
            return true
        }
        // C.4: non-character code points, U+nFFFE and U+nFFFF in every plane.
        if value & 0xFFFE == 0xFFFE {
            return true
        }
        switch value {
        // C.2.1 ASCII control characters.
        case 0x0000...0x001F, 0x007F: return true
        // C.2.2 non-ASCII control characters.
        case 0x0080...0x009F, 0x06DD, 0x070F, 0x180E, 0x200C, 0x200D, 0x2028, 0x2029, 0x2060...0x2063,
            0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC, 0x1D173...0x1D17A:
            return true
        // C.3 private use.
        case 0xE000...0xF8FF, 0xF0000...0xFFFFD, 0x100000...0x10FFFD: return true
        // C.4 non-characters (the rest), C.5 surrogates, C.6 inappropriate for plain text.
        case 0xFDD0...0xFDEF, 0xD800...0xDFFF, 0xFFF9...0xFFFD: return true
        // C.7 inappropriate for canonical representation, C.8 change display properties.
        case 0x2FF0...0x2FFB, 0x0340, 0x0341, 0x200E, 0x200F, 0x202A...0x202E: return true
        // C.9 tagging characters.
        case 0xE0001, 0xE0020...0xE007F: return true
        default: return false
        }
    }
}
