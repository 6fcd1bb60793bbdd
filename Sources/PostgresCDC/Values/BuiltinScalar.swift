/// The built-in scalar types with a dedicated decoder, with their OIDs and array OIDs (PostgreSQL's `pg_type.dat`).
enum BuiltinScalar: UInt32, CaseIterable, Sendable {
    case bool = 16
    case bytea = 17
    case char = 18
    case name = 19
    case int8 = 20
    case int2 = 21
    case int4 = 23
    case text = 25
    case oid = 26
    case json = 114
    case xml = 142
    case cidr = 650
    case float4 = 700
    case float8 = 701
    case macaddr8 = 774
    case money = 790
    case macaddr = 829
    case inet = 869
    case bpchar = 1042
    case varchar = 1043
    case date = 1082
    case time = 1083
    case timestamp = 1114
    case timestamptz = 1184
    case interval = 1186
    case timetz = 1266
    case numeric = 1700
    case uuid = 2950
    case jsonb = 3802

    var oid: UInt32 { self.rawValue }

    var name: String { String(describing: self) }

    var arrayOID: UInt32 {
        switch self {
        case .bool: 1000
        case .bytea: 1001
        case .char: 1002
        case .name: 1003
        case .int8: 1016
        case .int2: 1005
        case .int4: 1007
        case .text: 1009
        case .oid: 1028
        case .json: 199
        case .xml: 143
        case .cidr: 651
        case .float4: 1021
        case .float8: 1022
        case .macaddr8: 775
        case .money: 791
        case .macaddr: 1040
        case .inet: 1041
        case .bpchar: 1014
        case .varchar: 1015
        case .date: 1182
        case .time: 1183
        case .timestamp: 1115
        case .timestamptz: 1185
        case .interval: 1187
        case .timetz: 1270
        case .numeric: 1231
        case .uuid: 2951
        case .jsonb: 3807
        }
    }
}
