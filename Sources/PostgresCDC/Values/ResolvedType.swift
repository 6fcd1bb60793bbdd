/// How a type OID is decoded, after following domains to their base type.
enum ResolvedType {
    case scalar(BuiltinScalar)
    case enumeration
    case array(elementOID: UInt32)
    case other

    /// The decoding plan for `oid`: built-in scalars first, then the catalog (domains are followed up to a
    /// fixed depth), then the built-in array types.
    init(oid: UInt32, catalog: PostgresTypeCatalog) {
        var oid = oid
        for _ in 0..<16 {
            if let scalar = BuiltinScalar(rawValue: oid), scalar != .money {
                self = .scalar(scalar)
                return
            }
            guard let info = catalog.info(for: oid) else {
                if let element = Self.builtinArrays[oid] {
                    self = .array(elementOID: element)
                } else {
                    self = .other
                }
                return
            }
            switch info.kind {
            case .enumeration:
                self = .enumeration
                return
            case .domain(let baseOID):
                oid = baseOID
            case .array(let elementOID):
                self = .array(elementOID: elementOID)
                return
            case .base, .composite, .range, .other:
                self = .other
                return
            }
        }
        self = .other
    }

    private static let builtinArrays: [UInt32: UInt32] = {
        var arrays: [UInt32: UInt32] = [:]
        for scalar in BuiltinScalar.allCases {
            arrays[scalar.arrayOID] = scalar.oid
        }
        return arrays
    }()
}
