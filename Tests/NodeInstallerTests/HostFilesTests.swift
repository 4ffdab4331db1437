import Foundation
import Testing

@testable import NodeInstaller

@Suite struct HostFilesTests {
    /// Issue 17: the installer's temporary file was `.<name>.gvisor-node-<pid>`, opened without `O_EXCL`, so a
    /// symlink planted there in a host directory redirected the write.
    @Test func aSymlinkAtTheOldTemporaryNameIsNotFollowed() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let victim = directory + "/victim"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: "\(directory)/.runsc.toml.gvisor-node-\(getpid())", withDestinationPath: victim)
        try HostFiles.writeAtomically(Array("new\n".utf8), to: directory + "/runsc.toml", mode: 0o644)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try String(contentsOfFile: directory + "/runsc.toml", encoding: .utf8) == "new\n")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
                == [".runsc.toml.gvisor-node-\(getpid())", "runsc.toml", "victim"])
    }
}
