import Foundation
import Testing

/// The package root, found from this file's location.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let goldens = packageRoot.appendingPathComponent("Tests/NodeInstallerTests/Goldens")

/// Compares `actual` with the golden file; `UPDATE_GOLDENS=1 swift test` rewrites the goldens instead
/// (review the diff before committing).
func expectGolden(_ actual: String, _ relativePath: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = goldens.appendingPathComponent(relativePath)
    if ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1" {
        try actual.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record(
            "golden \(relativePath) is missing; run UPDATE_GOLDENS=1 swift test and review it",
            sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "golden \(relativePath) differs", sourceLocation: sourceLocation)
}

func fixture(_ relativePath: String) throws -> String {
    try String(contentsOf: goldens.appendingPathComponent(relativePath), encoding: .utf8)
}

/// A fresh directory that the caller removes with `removeTemporaryDirectory`.
func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/gvisor-node-tests.XXXXXX".utf8CString)
    guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
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
