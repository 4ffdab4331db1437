import Foundation
import NVProxy
import Testing

/// The directory of this test target, for the golden files.
let testDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fake host for discovery: a temporary directory with `dev/`, `proc/` and `sys/`, holding REAL character
/// device nodes made with mknod(2) (so discovery's stat calls see what they see on a GPU node) and procfs-shaped
/// text files. There is no GPU on this machine; only the numbers are real. Needs root, and says so otherwise.
final class FakeGPUHost {
    let root: String
    var host: NVProxyHost { NVProxyHost(hostRoot: root) }

    /// The nvidia-uvm major the fake `/proc/devices` announces (dynamic on real hosts).
    static let uvmMajor: UInt32 = 507

    init() throws {
        guard geteuid() == 0 else {
            throw TestSetupError(
                "these tests make character devices with mknod(2) and must run as root (euid is \(geteuid()))")
        }
        var template = Array("\(NSTemporaryDirectory())/nvproxy-tests.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestSetupError("mkdtemp: \(String(cString: strerror(errno)))")
        }
        root = String(cString: made)
        for directory in ["dev", "proc", "sys"] { try makeDirectory(directory) }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: "\(root)/\(relative)", withIntermediateDirectories: true)
    }

    func write(_ relative: String, _ text: String) throws {
        let path = "\(root)/\(relative)"
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// mknod(2) a character device `dev/<name>` with these numbers and permission bits.
    func node(_ name: String, _ major: UInt32, _ minor: UInt32, mode: mode_t = 0o666) throws {
        let path = "\(root)/dev/\(name)"
        let device = Self.makedev(major, minor)
        guard mknod(path, S_IFCHR | mode, device) == 0 else {
            throw TestSetupError("mknod \(path) c \(major) \(minor): \(String(cString: strerror(errno)))")
        }
        // mknod applies the umask; set the exact bits discovery must report.
        guard chmod(path, mode) == 0 else { throw TestSetupError("chmod \(path): \(String(cString: strerror(errno)))") }
    }

    static func makedev(_ major: UInt32, _ minor: UInt32) -> dev_t {
        let major = dev_t(major)
        let minor = dev_t(minor)
        return ((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff)
    }

    /// A typical two-GPU node: nvidiactl, nvidia-uvm(-tools), nvidia0/1, nvidia-modeset, nvidia-caps, the proprietary
    /// driver 535.129.03 and per-GPU information files.
    static func twoGPUs(driver: String = "535.129.03") throws -> FakeGPUHost {
        let host = try FakeGPUHost()
        try host.node("nvidiactl", 195, 255)
        try host.node("nvidia0", 195, 0)
        try host.node("nvidia1", 195, 1, mode: 0o660)
        try host.node("nvidia-modeset", 195, 254)
        try host.node("nvidia-uvm", uvmMajor, 0)
        try host.node("nvidia-uvm-tools", uvmMajor, 1)
        try host.makeDirectory("dev/nvidia-caps")
        try host.node("nvidia-caps/nvidia-cap1", 508, 1, mode: 0o400)
        try host.write("proc/devices", procDevices)
        try host.write(
            "proc/driver/nvidia/version",
            "NVRM version: NVIDIA UNIX x86_64 Kernel Module  \(driver)  Thu Oct 19 18:56:32 UTC 2023\n"
                + "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n")
        try host.write(
            "proc/driver/nvidia/gpus/0000:3b:00.0/information", information(minor: 0, uuid: uuid0, bus: "0000:3b:00.0"))
        try host.write(
            "proc/driver/nvidia/gpus/0000:af:00.0/information", information(minor: 1, uuid: uuid1, bus: "0000:af:00.0"))
        return host
    }

    static let uuid0 = "GPU-6c5a7b2e-1f3d-4a8b-9c0d-2e4f6a8b0c1d"
    static let uuid1 = "GPU-0a1b2c3d-4e5f-6789-abcd-ef0123456789"

    static let procDevices = """
        Character devices:
          1 mem
          4 /dev/vc/0
        195 nvidia-frontend
        507 nvidia-uvm
        508 nvidia-caps
        509 nvidia-caps-imex-channels

        Block devices:
          8 sd
        507 notnvidia-uvm-block

        """

    static func information(minor: Int, uuid: String, bus: String) -> String {
        """
        Model: \t\t Tesla T4
        IRQ:   \t\t 142
        GPU UUID: \t \(uuid)
        Video BIOS: \t 90.04.96.00.01
        Bus Type: \t PCIe
        DMA Size: \t 47 bits
        DMA Mask: \t 0x7fffffffffff
        Bus Location: \t \(bus)
        Device Minor: \t \(minor)
        GPU Excluded:\t No

        """
    }
}

/// A stand-in for runsc, used ONLY for what Debian's runsc 20221219 cannot answer: `runsc nvproxy
/// list-supported-drivers` (and, for the "older runsc" case, `runsc flags`). The tests that need an nvproxy-less
/// runsc use the real /usr/bin/runsc.
final class StandInRunsc {
    let directory: String
    var path: String { "\(directory)/runsc-stand-in" }

    /// `script` is the body of a bash `case "$*"` dispatch.
    init(_ script: String) throws {
        var template = Array("\(NSTemporaryDirectory())/nvproxy-runsc.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestSetupError("mkdtemp: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        let text =
            "#!/bin/bash\n# Stand-in for runsc's nvproxy queries (tests only).\ncase \"$*\" in\n\(script)\nesac\n"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        guard chmod(path, 0o755) == 0 else { throw TestSetupError("chmod \(path)") }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A runsc with nvproxy that supports `drivers`.
    static func supporting(_ drivers: [String]) throws -> StandInRunsc {
        try StandInRunsc(
            """
            "nvproxy list-supported-drivers") printf '%s\\n' \(drivers.map { "'\($0)'" }.joined(separator: " ")) ;;
            *) echo "stand-in: unexpected arguments: $*" >&2; exit 64 ;;
            """)
    }
}

/// Debian's runsc, the real nvproxy-less one; a test that needs it fails when it is missing.
func debianRunsc() throws -> String {
    let path = "/usr/bin/runsc"
    guard access(path, X_OK) == 0 else {
        throw TestSetupError("\(path) is missing: install Debian's runsc (make deps)")
    }
    return path
}

func version(_ text: String) -> NVIDIADriverVersion { NVIDIADriverVersion(text)! }

/// A spec from JSON text.
func spec(_ text: String) throws -> JSONValue { try JSONValue.decode(Array(text.utf8), file: "config.json") }

/// The error `body` throws, as text; "no error" when it succeeds.
func errorText(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "no error"
    } catch { return "\(error)" }
}
