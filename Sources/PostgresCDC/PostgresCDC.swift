/// The version of this library.
public enum PostgresCDCVersion {
    /// The semantic version string.
    public static let string = "0.1.0"
}
