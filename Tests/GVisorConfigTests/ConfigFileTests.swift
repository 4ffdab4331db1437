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

    /// Issue 17: the temporary file was `<path>.tmp-<pid>`, opened without `O_EXCL`: a symlink planted at that name
    /// (the pid is guessable) made the write truncate and fill the symlink's target.
    @Test func aSymlinkAtTheOldTemporaryNameIsNotFollowed() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/config.json"
        let victim = directory + "/victim"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: "\(path).tmp-\(getpid())", withDestinationPath: victim)
        try ConfigFile.writeAtomically("new\n", to: path)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
    }

    @Test func temporaryFilesAreNewAndRandomlyNamed() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        var names: Set<String> = []
        for _ in 0..<20 {
            let (fd, path) = try ConfigFile.createTemporary(prefix: directory + "/f.tmp-", mode: 0o600)
            close(fd)
            #expect(path.hasPrefix(directory + "/f.tmp-") && path.count == directory.count + 7 + 16)
            names.insert(path)
        }
        #expect(names.count == 20)
        // Failures name the prefix and the system's reason.
        let taken = #expect(throws: ConfigFileError.self) {
            try ConfigFile.createTemporary(prefix: directory + "/missing/x", mode: 0o600)
        }
        #expect(taken?.code == ENOENT)
    }
}
