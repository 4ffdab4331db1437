/// `runsc wait <id>`: `{"id": …, "exitStatus": N}`. runsc already folds a signal into 128 + signo.
public struct RunscWaitStatus: Sendable, Hashable, Decodable {
    public var id: String?
    public var exitStatus: Int32

    public init(id: String? = nil, exitStatus: Int32) {
        self.id = id
        self.exitStatus = exitStatus
    }
}
