import Crypto

/// The password hash of PostgreSQL's `AuthenticationMD5Password` request.
public enum MD5Password {
    /// Computes the response to an `AuthenticationMD5Password` request:
    /// `"md5" + md5hex(md5hex(password + user) + salt)`, where `md5hex` is the lower-case hexadecimal MD5 digest.
    ///
    /// - Important: MD5 authentication is deprecated in PostgreSQL; prefer SCRAM-SHA-256 (``SCRAMSHA256Client``).
    /// - Parameters:
    ///   - user: the user name sent in the startup message.
    ///   - password: the password.
    ///   - salt: the four salt bytes of the server's request.
    /// - Returns: the string to send in the PasswordMessage (35 characters).
    public static func hash(user: String, password: String, salt: (UInt8, UInt8, UInt8, UInt8)) -> String {
        let inner = Self.hex(Insecure.MD5.hash(data: Array(password.utf8) + Array(user.utf8)))
        let outer = Self.hex(Insecure.MD5.hash(data: Array(inner.utf8) + [salt.0, salt.1, salt.2, salt.3]))
        return "md5" + outer
    }

    private static func hex(_ digest: Insecure.MD5.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
