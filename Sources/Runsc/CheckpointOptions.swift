/// Arguments of `runsc checkpoint` besides the container id.
public struct CheckpointOptions: Sendable, Hashable {
    /// `--image-path`: directory the checkpoint image is written to.
    public var imagePath: String
    /// `--leave-running`: keep the container running after the checkpoint.
    public var leaveRunning: Bool
    /// `--direct`: direct I/O for the image files (newer runsc only).
    public var direct: Bool

    public init(imagePath: String, leaveRunning: Bool = false, direct: Bool = false) {
        self.imagePath = imagePath
        self.leaveRunning = leaveRunning
        self.direct = direct
    }
}
