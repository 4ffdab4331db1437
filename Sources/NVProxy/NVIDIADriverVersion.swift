/// An NVIDIA kernel driver version such as `535.129.03`, compared component by component as numbers.
///
/// The text is kept as written (leading zeros matter to humans: `535.129.03`, not `535.129.3`), and equality
/// is on the text, which is how runsc's list and the kernel module spell the same version.
public struct NVIDIADriverVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let text: String
    public let components: [Int]

    /// Accepts two to four dot-separated decimal numbers (`550.54`, `535.129.03`); nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (2...4).contains(parts.count),
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.utf8.allSatisfy { (48...57).contains($0) } })
        else { return nil }
        self.text = text
        self.components = parts.map { Int($0)! }
    }

    public var description: String { text }

    public static func < (lhs: NVIDIADriverVersion, rhs: NVIDIADriverVersion) -> Bool {
        lhs.components.lexicographicallyPrecedes(rhs.components)
    }

    /// The version in the kernel module's banner (`/proc/driver/nvidia/version`), e.g.
    /// `NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  Thu Oct 19 18:56:32 UTC 2023` or the open
    /// module's `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release Build ...`:
    /// the first version-shaped word of the `NVRM version:` line.
    public static func parseProcVersion(_ text: String) -> NVIDIADriverVersion? {
        for line in text.split(separator: "\n") where line.hasPrefix("NVRM version:") {
            for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                if let version = NVIDIADriverVersion(String(word)) { return version }
            }
        }
        return nil
    }
}
