import Checksum
import Testing

@testable import Shim

struct ShimFlagsTests {
    @Test func parsesContainerd16StartLine() throws {
        let flags = try ShimFlags.parse([
            "-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock", "-publish-binary",
            "/usr/bin/containerd", "-id", "abc", "-debug", "start",
        ])
        #expect(flags.namespace == "k8s.io")
        #expect(flags.address == "/run/containerd/containerd.sock")
        #expect(flags.publishBinary == "/usr/bin/containerd")
        #expect(flags.id == "abc")
        #expect(flags.debug)
        #expect(flags.action == .start)
    }

    @Test func parsesDeleteWithBundleAndEqualsForms() throws {
        let flags = try ShimFlags.parse(["--namespace=ns", "-id=c1", "-bundle", "/b", "-debug=false", "delete"])
        #expect(flags.namespace == "ns")
        #expect(flags.id == "c1")
        #expect(flags.bundle == "/b")
        #expect(!flags.debug)
        #expect(flags.action == .delete)
    }

    @Test func noActionMeansDaemon() throws {
        let flags = try ShimFlags.parse(["-namespace", "ns", "-id", "c1", "-address", "/a"])
        #expect(flags.action == nil)
        #expect(try ShimFlags.parse(flags.daemonArguments()) == flags)
    }

    @Test func versionFlag() throws {
        #expect(try ShimFlags.parse(["-v"]).version)
        #expect(try ShimFlags.parse(["-version"]).version)
    }

    @Test(arguments: [
        (["-nosuch"], "flag provided but not defined: -nosuch"),
        (["-id"], "flag needs an argument: -id"),
        (["-debug=maybe"], "invalid boolean value \"maybe\" for -debug"),
        (["-id", "x", "launch"], "unknown action \"launch\" (expected start or delete)"),
        (["start", "extra"], "unexpected arguments after start: extra"),
    ])
    func rejectsBadCommandLines(arguments: [String], message: String) {
        #expect(throws: ShimFlags.ParseError(description: message)) { try ShimFlags.parse(arguments) }
    }
}

struct SocketAddressTests {
    @Test func matchesContainerdHashing() {
        // containerd: sha256(filepath.Join(address, namespace, id)) under /run/containerd/s.
        let address = SocketAddress(
            containerdAddress: "/run/containerd/containerd.sock", namespace: "k8s.io", key: "abc")
        #expect(
            address.description
                == "unix:///run/containerd/s/a99a1752d3a0fadfb1f869026f16760475df03a572e20f4ccea9e6c1e5470b72")
    }

    @Test func joinIsCleaned() {
        let clean = SocketAddress(containerdAddress: "/run/c.sock", namespace: "ns", key: "id")
        let messy = SocketAddress(containerdAddress: "/run//c.sock/", namespace: "ns", key: "id")
        #expect(clean == messy)
    }

    @Test(arguments: [
        ("/a/b/../c", "/a/c"), ("a//b/./", "a/b"), ("/..", "/"), ("", "."), ("../x", "../x"), ("/", "/"),
    ])
    func cleanPath(input: String, expected: String) {
        #expect(SocketAddress.cleanPath(input) == expected)
    }

    @Test func parsesUnixScheme() {
        #expect(SocketAddress(parsing: "unix:///run/x.sock").path == "/run/x.sock")
        #expect(SocketAddress(parsing: "/run/x.sock").path == "/run/x.sock")
    }
}

struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func knownVectors(input: String, expected: String) {
        #expect(SHA256.hex(input) == expected)
    }

    @Test func everyPaddingLength() {
        // Lengths around the 55/56/64-byte padding boundaries, checked against one another:
        // a digest must change when one byte is appended.
        var seen = Set<String>()
        for length in 0..<130 { seen.insert(SHA256.hex(String(repeating: "a", count: length))) }
        #expect(seen.count == 130)
        #expect(
            SHA256.hex(String(repeating: "a", count: 1_000))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}
