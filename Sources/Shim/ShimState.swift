import FoundationEssentials
import GVisorConfig
import HostOS
import Runsc

/// What the `delete` action needs after the daemon is gone (killed, or never answered): how to
/// call runsc for this container. Written into the bundle at Create.
struct ShimState: Codable, Equatable {
    static let fileName = "shim-state.json"

    var runscBinary: String
    /// runsc's `--root`, already including the namespace.
    var runscRoot: String
    var runscFlags: [String]
    var rootfs: String

    var runsc: Runsc {
        Runsc(binary: runscBinary, root: runscRoot, log: nil, logFormat: nil, extraFlags: runscFlags)
    }

    func write(to bundle: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(self), as: UTF8.self)
        try HostFile.writeAtomically(json, to: "\(bundle)/\(ShimState.fileName)")
    }

    static func read(from bundle: String) -> ShimState? {
        guard let bytes = try? HostFile.read("\(bundle)/\(fileName)") else { return nil }
        return try? JSONDecoder().decode(ShimState.self, from: Data(bytes))
    }
}
