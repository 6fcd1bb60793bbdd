import PostgresWire
import Testing

@Suite struct MD5PasswordTests {
    /// Expected values computed independently with Python:
    /// `"md5" + md5(md5(password + user).hexdigest().encode() + salt).hexdigest()`.
    @Test(arguments: [
        ("postgres", "secret", (UInt8(1), UInt8(2), UInt8(3), UInt8(4)), "md5bb41a296aab6baccb36ff243a562abff"),
        (
            "cdc", "p\u{E4}ssw\u{F6}rd", (UInt8(0xDE), UInt8(0xAD), UInt8(0xBE), UInt8(0xEF)),
            "md5726b6e7c04d7fa7bc068b8129d03ebe4"
        ),
    ])
    func matchesIndependentComputation(
        user: String,
        password: String,
        salt: (UInt8, UInt8, UInt8, UInt8),
        expected: String
    ) {
        #expect(MD5Password.hash(user: user, password: password, salt: salt) == expected)
    }

    @Test func saltAndUserChangeTheHash() {
        let base = MD5Password.hash(user: "a", password: "p", salt: (1, 2, 3, 4))
        #expect(base.count == 35)
        #expect(base.hasPrefix("md5"))
        #expect(MD5Password.hash(user: "a", password: "p", salt: (1, 2, 3, 5)) != base)
        #expect(MD5Password.hash(user: "b", password: "p", salt: (1, 2, 3, 4)) != base)
    }
}
