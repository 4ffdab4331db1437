import Foundation
import GVisorConfig
import Testing

/// The package root, found from this file's location, for the example files under `configs/`.
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh directory that the caller removes with `removeTemporaryDirectory`.
func makeTemporaryDirectory() throws -> String {
    var template = Array(
        (URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gvisor-config-tests.XXXXXX").path)
            .utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard let created else {
        throw TestSetupError("mkdtemp failed: \(String(cString: strerror(errno)))")
    }
    return String(cString: created)
}

func removeTemporaryDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The GVisorConfiguration preamble every document needs.
let header = """
    apiVersion: gvisor.runtime.extensions.config.gardener.cloud/v1alpha1
    kind: GVisorConfiguration

    """

/// Byte-exact comparison helper: the whole point of several tests is identical bytes.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }
