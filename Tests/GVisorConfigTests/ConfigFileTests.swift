import Foundation
import GVisorConfig
import Testing

@Suite("ConfigFile")
struct ConfigFileTests {
    @Test func atomicWriteReplacesAndLeavesNoTemporaryFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/runsc.toml"
        try ConfigFile.writeAtomically("old\n", to: path)
        let text = RunscConfigFlags(netRaw: true).runscTOML()
        try ConfigFile.writeAtomically(text, to: path)
        #expect(try ConfigFile.readBytes(path) == utf8(text))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["runsc.toml"])
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o644)
    }

    @Test func writeIntoAMissingDirectoryNamesThePath() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let error = #expect(throws: ConfigFileError.self) {
            try ConfigFile.writeAtomically("x", to: directory + "/missing/runsc.toml")
        }
        #expect(error?.description.contains(directory + "/missing/runsc.toml") == true)
        #expect(error?.code == ENOENT)
    }
}
