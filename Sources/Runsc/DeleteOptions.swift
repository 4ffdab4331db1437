/// Arguments of `runsc delete` besides the container id.
public struct DeleteOptions: Sendable, Hashable {
    /// `--force`: kill the container first if it still runs.
    public var force: Bool

    public init(force: Bool = false) {
        self.force = force
    }
}
