/// An array value of any dimension: its shape and its elements in row-major order.
public struct PostgresArray: Sendable, Hashable {
    /// The element type's OID.
    public var elementTypeOID: UInt32
    /// The length of each dimension, outermost first; empty for an empty array.
    public var dimensions: [Int]
    /// The lower bound of each dimension (1 unless written like `[0:1]={a,b}`).
    public var lowerBounds: [Int]
    /// The elements in row-major order (the last dimension varies fastest); `NULL` elements are ``PostgresValue/null``.
    public var elements: [PostgresValue]

    /// Creates an array.
    /// - Parameters:
    ///   - elementTypeOID: the element type's OID.
    ///   - dimensions: the length of each dimension, outermost first.
    ///   - lowerBounds: the lower bound of each dimension; defaults to 1 for each.
    ///   - elements: the elements in row-major order; their count is the product of `dimensions`.
    public init(elementTypeOID: UInt32, dimensions: [Int], lowerBounds: [Int]? = nil, elements: [PostgresValue]) {
        self.elementTypeOID = elementTypeOID
        self.dimensions = dimensions
        self.lowerBounds = lowerBounds ?? Array(repeating: 1, count: dimensions.count)
        self.elements = elements
    }

    /// Creates a one-dimensional array with lower bound 1 (an empty array when `elements` is empty).
    /// - Parameters:
    ///   - elementTypeOID: the element type's OID.
    ///   - elements: the elements.
    public init(elementTypeOID: UInt32, elements: [PostgresValue]) {
        self.init(
            elementTypeOID: elementTypeOID,
            dimensions: elements.isEmpty ? [] : [elements.count],
            elements: elements
        )
    }
}
