/// The gRPC status codes ttrpc carries in `google.rpc.Status.code`.
///
/// containerd maps its error kinds onto these (errdefs/errgrpc) and only looks at the code on the way back, so a
/// handler's choice of code is what containerd's caller sees.
public enum TTRPCStatusCode: Int32, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case ok = 0
    case cancelled = 1
    case unknown = 2
    case invalidArgument = 3
    case deadlineExceeded = 4
    case notFound = 5
    case alreadyExists = 6
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case aborted = 10
    case outOfRange = 11
    case unimplemented = 12
    case `internal` = 13
    case unavailable = 14
    case dataLoss = 15
    case unauthenticated = 16

    /// The code for a raw wire value; values outside the gRPC range read as ``unknown``, as grpc-go does.
    public init(wireValue: Int32) {
        self = TTRPCStatusCode(rawValue: wireValue) ?? .unknown
    }

    /// grpc-go's spelling (`codes.Code.String()`), which containerd logs show.
    public var description: String {
        switch self {
        case .ok: "OK"
        case .cancelled: "Canceled"
        case .unknown: "Unknown"
        case .invalidArgument: "InvalidArgument"
        case .deadlineExceeded: "DeadlineExceeded"
        case .notFound: "NotFound"
        case .alreadyExists: "AlreadyExists"
        case .permissionDenied: "PermissionDenied"
        case .resourceExhausted: "ResourceExhausted"
        case .failedPrecondition: "FailedPrecondition"
        case .aborted: "Aborted"
        case .outOfRange: "OutOfRange"
        case .unimplemented: "Unimplemented"
        case .internal: "Internal"
        case .unavailable: "Unavailable"
        case .dataLoss: "DataLoss"
        case .unauthenticated: "Unauthenticated"
        }
    }
}
